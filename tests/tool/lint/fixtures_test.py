#!/usr/bin/env python3
"""Every rule's golden fixtures, found from the rule registry (`pyrace-lint --list-rules`).

Each Python rule CODE must have testdata/lint/CODE.py with its golden report CODE.expected;
more fixtures of a rule (C rules' too) are CODE[_<what>].expected beside a .py or .c file or
a directory of that name. Fails when a rule has no fixture, when a fixture names no rule, and when any
fixture's report differs from its golden file or its `# expect:` annotations (see
run_fixture.py). With --update the golden files are rewritten instead.
"""
import argparse
import os
import re
import subprocess
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_fixture  # noqa: E402


def registry_codes(binary):
    out = subprocess.run([binary, "--list-rules"], capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in out.splitlines() if re.match(r"^PY[RC]\d{3}\s", line)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--root", required=True, help="testdata/lint")
    ap.add_argument("--update", action="store_true")
    a = ap.parse_args()
    a.bin = os.path.abspath(a.bin)

    registry = registry_codes(a.bin)
    if not registry:
        print("FAIL: the registry lists no rules")
        return 1
    failures = []
    goldens = sorted(f for f in os.listdir(a.root) if f.endswith(".expected"))
    for g in goldens:
        stem = g[: -len(".expected")]
        code = stem.split("_", 1)[0]
        if code not in registry:
            failures.append(f"{g}: no rule {code} in the registry")
    for code in registry:
        mine = [g for g in goldens if g == code + ".expected" or g.startswith(code + "_")]
        # Every Python rule has CODE.py here; the C rules' own fixtures are testdata/cext
        # (unit.clang.cext), and those here are run when present.
        if code.startswith("PYR") and (code + ".expected" not in mine or
                                       not os.path.isfile(os.path.join(a.root, code + ".py"))):
            failures.append(f"{code}: no fixture {code}.py with golden {code}.expected")
        for g in mine:
            stem = g[: -len(".expected")]
            target = next((t for t in (stem + ".py", stem + ".c", stem) if os.path.exists(os.path.join(a.root, t))), None)
            if target is None:
                failures.append(f"{g}: no {stem}.py, {stem}.c or {stem}/ beside it")
                continue
            print(f"--- {code}: {target}")
            args = types.SimpleNamespace(bin=a.bin, root=a.root, code=code, golden=g, update=a.update, paths=[target])
            if run_fixture.check(args) != 0:
                failures.append(f"{g}: report differs")
    for f in failures:
        print("FAIL:", f)
    print(f"{len(registry)} rules, {len(goldens)} fixtures, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
