#!/usr/bin/env python3
"""Golden test of one lint fixture.

Runs `pyrace-lint --select CODE FIXTURE` from testdata/lint and checks:
  1. the text report equals FIXTURE's golden file (CODE.expected) byte for byte;
  2. the JSON report's (rule, file, line) set equals the `# expect: CODE` annotations
     in the fixture (so a golden file cannot silently bless a wrong result);
  3. the exit code is 1 when findings are expected, 0 otherwise.
With --update the golden file is rewritten instead (review the diff!).
"""
import argparse
import json
import os
import re
import subprocess
import sys

EXPECT = re.compile(r"(?:#|//)\s*expect:\s*([A-Z0-9, ]+)")  # `# expect:` in Python, `// expect:` in C


def annotations(root, paths, code):
    want = set()
    for p in paths:
        full = os.path.join(root, p)
        files = [full]
        if os.path.isdir(full):
            files = [os.path.join(d, f) for d, _, fs in os.walk(full) for f in fs if f.endswith((".py", ".c", ".cpp"))]
        for f in files:
            with open(f, encoding="utf-8") as fh:
                for n, line in enumerate(fh, 1):
                    m = EXPECT.search(line)
                    if m and code in [c.strip() for c in m.group(1).split(",")]:
                        want.add((code, os.path.relpath(f, root), n))
    return want


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--root", required=True, help="testdata/lint")
    ap.add_argument("--code", required=True)
    ap.add_argument("--golden", required=True)
    ap.add_argument("--update", action="store_true")
    ap.add_argument("paths", nargs="+")
    return check(ap.parse_args())


def check(a):
    """Runs one fixture; `a` has bin, root, code, golden, update and paths."""
    cmd = [a.bin, "--select", a.code, "--no-gitignore"] + a.paths
    text = subprocess.run(cmd, cwd=a.root, capture_output=True, text=True)
    golden = os.path.join(a.root, a.golden)
    if a.update:
        with open(golden, "w", encoding="utf-8") as fh:
            fh.write(text.stdout)
        print("updated", golden)
        return 0
    ok = True
    with open(golden, encoding="utf-8") as fh:
        expected = fh.read()
    if text.stdout != expected:
        ok = False
        print("FAIL: text report differs from", golden)
        import difflib
        sys.stdout.writelines(difflib.unified_diff(expected.splitlines(True), text.stdout.splitlines(True),
                                                   "expected", "actual"))

    js = subprocess.run(cmd + ["--format", "json"], cwd=a.root, capture_output=True, text=True)
    got = set()
    for f in json.loads(js.stdout)["findings"]:
        loc = f["locations"][0]
        got.add((f["rule"], os.path.normpath(loc["file"]), loc["line"]))
    want = annotations(a.root, a.paths, a.code)
    if got != want:
        ok = False
        print("FAIL: findings differ from the '# expect:' annotations")
        for x in sorted(want - got):
            print("  missing:", x)
        for x in sorted(got - want):
            print("  unexpected:", x)
    want_rc = 1 if want else 0
    for name, r in (("text", text), ("json", js)):
        if r.returncode != want_rc:
            ok = False
            print(f"FAIL: {name} run exited {r.returncode}, expected {want_rc}; stderr: {r.stderr}")
    print(("PASS" if ok else "FAIL"), a.code, len(got), "findings")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
