#!/usr/bin/env python3
"""The `pyrace lint` command-line contract: exit codes, select/ignore, suppression
comments, [tool.pyrace] in pyproject.toml, baselines, .gitignore, output formats, files
that do not parse next to files that do, and the facts cache."""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

FAILS = []

BUG = """import threading
lock = threading.Lock()

def f(items):
    lock.acquire()
    if not items:
        return None
    lock.release()
"""

CLEAN = """import threading
lock = threading.Lock()

def f():
    with lock:
        return 1
"""


def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))
    if not cond:
        FAILS.append(name)


def run(bin_, args, cwd):
    return subprocess.run([bin_] + args, cwd=cwd, capture_output=True, text=True)


def write(path, text):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def rules(result):
    return sorted((f["rule"], f["locations"][0]["file"], f["locations"][0]["line"])
                  for f in json.loads(result.stdout)["findings"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--data", required=True)
    a = ap.parse_args()
    b = a.bin
    tmp = tempfile.mkdtemp(prefix="pyrace-lint-cli-")
    try:
        write(f"{tmp}/bug.py", BUG)
        write(f"{tmp}/clean.py", CLEAN)

        r = run(b, ["clean.py"], tmp)
        check("clean file exits 0", r.returncode == 0, r.stdout + r.stderr)
        r = run(b, ["bug.py"], tmp)
        check("finding exits 1", r.returncode == 1, r.stdout + r.stderr)
        check("text format names file:line:col and code", "bug.py:5:5: PYR001 " in r.stdout, r.stdout)
        check("text format shows the line and a caret",
              "      lock.acquire()\n      ^~~~~~~~~~~~~~\n" in r.stdout, r.stdout)
        r = run(b, ["missing.py"], tmp)
        check("missing path exits 2", r.returncode == 2, r.stdout + r.stderr)
        r = run(b, ["--format", "xml", "bug.py"], tmp)
        check("bad option exits 2", r.returncode == 2, r.stdout + r.stderr)
        r = run(b, [], tmp)
        check("no paths exits 2", r.returncode == 2, r.stdout + r.stderr)

        r = run(b, ["--ignore", "PYR001", "bug.py"], tmp)
        check("--ignore hides the rule", r.returncode == 0, r.stdout)
        r = run(b, ["--select", "PYR002,PYR003", "bug.py"], tmp)
        check("--select limits rules", r.returncode == 0, r.stdout)
        r = run(b, ["--select", "missed-release", "bug.py"], tmp)
        check("--select by rule name", r.returncode == 1, r.stdout)
        r = run(b, ["--select", "PYR0", "bug.py"], tmp)
        check("--select by prefix", r.returncode == 1, r.stdout)

        for comment in ["# pyrace: ignore[PYR001]", "# noqa: PYR001", "# pyrace: ignore", "# noqa"]:
            write(f"{tmp}/sup.py", BUG.replace("lock.acquire()", "lock.acquire()  " + comment))
            r = run(b, ["sup.py"], tmp)
            check(f"'{comment}' suppresses", r.returncode == 0, r.stdout)
        for comment in ["# pyrace: ignore[PYR002]", "# noqa: PYR002"]:
            write(f"{tmp}/sup.py", BUG.replace("lock.acquire()", "lock.acquire()  " + comment))
            r = run(b, ["sup.py"], tmp)
            check(f"'{comment}' does not suppress PYR001", r.returncode == 1, r.stdout)

        # JSON contract.
        r = run(b, ["--format", "json", "bug.py"], tmp)
        j = json.loads(r.stdout)
        f = j["findings"][0]
        check("json has kind/severity/message/locations/stacks/count",
              all(k in f for k in ("kind", "severity", "message", "locations", "stacks", "count")), r.stdout)
        check("json kind is the finding model's kind", f["kind"] == "missed-release", f["kind"])
        check("json location", (f["locations"][0]["file"], f["locations"][0]["line"], f["locations"][0]["function"])
              == ("bug.py", 5, "f"), str(f["locations"]))

        # GitHub annotations.
        r = run(b, ["--format", "github", "bug.py"], tmp)
        check("github annotation", r.stdout.startswith("::error file=bug.py,line=5,col=5,"), r.stdout)

        # pyproject.toml [tool.pyrace].
        proj = f"{tmp}/proj"
        write(f"{proj}/pkg/bug.py", BUG)
        write(f"{proj}/pyproject.toml", '[tool.pyrace]\nignore = ["PYR001"]\n')
        r = run(b, ["pkg"], proj)
        check("pyproject ignore", r.returncode == 0, r.stdout + r.stderr)
        r = run(b, ["--ignore", "PYR009", "pkg"], proj)
        check("command line overrides pyproject", r.returncode == 1, r.stdout + r.stderr)
        write(f"{proj}/pyproject.toml", '[tool.pyrace]\nexclude = ["pkg/bug.py"]\n')
        r = run(b, ["pkg"], proj)
        check("pyproject exclude", r.returncode == 0, r.stdout + r.stderr)
        write(f"{proj}/pyproject.toml", '[tool.pyrace\n')
        r = run(b, ["pkg"], proj)
        check("malformed pyproject exits 2", r.returncode == 2, r.stdout + r.stderr)
        os.remove(f"{proj}/pyproject.toml")

        # .gitignore and skipped directories.
        tree = f"{tmp}/tree"
        write(f"{tree}/.gitignore", "build/\n*_gen.py\n")
        write(f"{tree}/build/x.py", BUG)
        write(f"{tree}/a_gen.py", BUG)
        write(f"{tree}/node_modules/y.py", BUG)
        write(f"{tree}/.venv/pyvenv.cfg", "")
        write(f"{tree}/.venv/z.py", BUG)
        write(f"{tree}/env2/pyvenv.cfg", "")
        write(f"{tree}/env2/z.py", BUG)
        write(f"{tree}/src/ok.py", CLEAN)
        r = run(b, ["."], tree)
        check(".gitignore, node_modules and venvs are skipped", r.returncode == 0, r.stdout)
        r = run(b, ["--no-gitignore", "."], tree)
        check("--no-gitignore lints ignored files",
              r.returncode == 1 and "build/x.py" in r.stdout and "a_gen.py" in r.stdout
              and "node_modules" not in r.stdout and "z.py" not in r.stdout, r.stdout)
        r = run(b, ["build/x.py"], tree)
        check("a named file is linted even if ignored", r.returncode == 1, r.stdout)

        # Baselines.
        r = run(b, ["--write-baseline", "base.json", "bug.py"], tmp)
        check("write baseline exits 0", r.returncode == 0, r.stderr)
        r = run(b, ["--baseline", "base.json", "bug.py"], tmp)
        check("baseline hides known findings", r.returncode == 0, r.stdout)
        write(f"{tmp}/bug.py", "# a comment moves everything down\n" + BUG)
        r = run(b, ["--baseline", "base.json", "bug.py"], tmp)
        check("baseline survives moved lines", r.returncode == 0, r.stdout)
        write(f"{tmp}/bug.py", BUG + "\n\ndef g(x):\n    lock.acquire()\n    if x:\n        raise ValueError\n    lock.release()\n")
        r = run(b, ["--baseline", "base.json", "--format", "json", "bug.py"], tmp)
        check("baseline still reports new findings", r.returncode == 1 and len(json.loads(r.stdout)["findings"]) == 1,
              r.stdout)
        r = run(b, ["--baseline", "nope.json", "bug.py"], tmp)
        check("missing baseline exits 2", r.returncode == 2, r.stderr)
        write(f"{tmp}/bug.py", BUG)

        # A file that does not parse does not stop the others.
        shutil.copy(os.path.join(a.data, "PYR000.py"), f"{tmp}/broken.py")
        r = run(b, ["--format", "json", "broken.py", "bug.py"], tmp)
        got = rules(r)
        check("syntax error reported and other files linted",
              r.returncode == 1 and ("PYR000", "broken.py", 8) in got and ("PYR001", "bug.py", 5) in got, str(got))

        # Any Python 3 syntax up to 3.13 parses.
        write(f"{tmp}/modern.py", MODERN)
        r = run(b, ["modern.py"], tmp)
        check("3.8-3.13 syntax parses", r.returncode == 0, r.stdout)

        r = run(b, ["--list-rules"], tmp)
        check("--list-rules", r.returncode == 0 and all(f"PYR00{i}" in r.stdout for i in range(10)), r.stdout)
        check("--list-rules marks the rules that are off by default",
              "PYR010  sleep-under-lock  (deadlock, note, off by default)" in r.stdout, r.stdout)

        # A C file that does not compile is a finding with its position, like a Python
        # syntax error: the run lints everything else and exits 1, not 2.
        if "PYC000" in r.stdout:
            write(f"{tmp}/mixed/broken.c", "#include <Python.h>\nint f(void) {\n  return undeclared;\n}\n")
            write(f"{tmp}/mixed/bug.py", BUG)
            r = run(b, ["mixed", "--format", "json"], tmp)
            check("a C file that does not compile is reported and the rest linted",
                  r.returncode == 1 and rules(r) == [("PYC000", "mixed/broken.c", 3), ("PYR001", "mixed/bug.py", 5)],
                  r.stdout + r.stderr)
            r = run(b, ["mixed/broken.c"], tmp)
            check("the compile error shows its column", r.returncode == 1 and "mixed/broken.c:3:10: PYC000 " in r.stdout,
                  r.stdout + r.stderr)

        # The seed's own corrected program sleeps while holding its lock: correct code, so
        # the default rules pass it; the latency advice is there when selected.
        seed = os.path.join(a.data, "..", "runtime", "seed_early_return_fixed.py")
        shutil.copy(seed, f"{tmp}/seed_fixed.py")
        r = run(b, ["seed_fixed.py", "--format", "json"], tmp)
        check("the seed's corrected program passes the default rules", r.returncode == 0 and rules(r) == [],
              r.stdout + r.stderr)
        r = run(b, ["seed_fixed.py", "--select", "PYR010", "--format", "json"], tmp)
        check("--select PYR010 reports its sleep under the lock",
              r.returncode == 1 and rules(r) == [("PYR010", "seed_fixed.py", 22)], r.stdout + r.stderr)

        # --cache-dir: an unchanged file's facts are read back instead of parsed (an entry
        # is written only on a miss, so a hit leaves it as it was); a changed file is a
        # miss; a damaged entry is a miss too, never an error.
        cdir = f"{tmp}/cache"
        write(f"{tmp}/cached/bug.py", BUG)
        write(f"{tmp}/cached/clean.py", CLEAN)
        args = ["cached", "--format", "json", "--cache-dir", cdir]
        r1 = run(b, args, tmp)
        entries = lambda: sorted(os.path.join(d, n) for d, _, ns in os.walk(cdir) for n in ns)
        cold = {e: os.stat(e).st_ino for e in entries()}
        check("cold run: one cache entry per file", r1.returncode == 1 and len(cold) == 2, r1.stdout + r1.stderr + str(cold))
        r2 = run(b, args, tmp)
        check("warm run: the same report from the cache", r2.returncode == 1 and r2.stdout == r1.stdout
              and rules(r2) == [("PYR001", "cached/bug.py", 5)], r2.stdout + r2.stderr)
        check("warm run: entries read, not rewritten", {e: os.stat(e).st_ino for e in entries()} == cold, str(entries()))
        r3 = run(b, ["cached", "--format", "json"], tmp)
        check("the cache does not change the report", r3.stdout == r1.stdout, r3.stdout)
        write(f"{tmp}/cached/bug.py", CLEAN)
        r = run(b, args, tmp)
        check("a changed file is linted again", r.returncode == 0 and rules(r) == [] and len(entries()) == 3,
              r.stdout + r.stderr + str(entries()))
        write(f"{tmp}/cached/bug.py", BUG)
        for e in entries():
            with open(e, "wb") as fh:
                fh.write(b"PYRFACTS\0\0\0garbage")
        r = run(b, args, tmp)
        check("damaged entries are misses", r.returncode == 1 and r.stdout == r1.stdout, r.stdout + r.stderr)
        # The module a file is linted as is part of the key: an __init__.py makes
        # cached/bug.py the module cached.bug, whose lock is named after it.
        write(f"{tmp}/cached/__init__.py", "")
        r = run(b, args, tmp)
        r4 = run(b, ["cached", "--format", "json"], tmp)
        check("a new package layout is linted again", r.returncode == 1 and r.stdout == r4.stdout
              and "cached.bug.lock" in r4.stdout, r.stdout + r4.stdout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(FAILS)} failed" if FAILS else "all passed")
    return 1 if FAILS else 0


MODERN = '''import threading
type Point[T] = tuple[T, T]

def first[T](xs: list[T]) -> T:
    return xs[0]

class Box[T]:
    def get(self) -> T: ...

async def main(lock: threading.Lock, q):
    async with lock:
        pass
    match q:
        case {"x": x, **rest} if x > 0:
            pass
        case [1, *others]:
            pass
        case _:
            pass
    try:
        pass
    except* ValueError as eg:
        pass
    if (n := len(q)) > 3:
        print(f"{n=} {q!r:>10}")
    with (open("a") as a, open("b") as b):
        pass
    lambda x, /, y, *, z: x
'''

if __name__ == "__main__":
    sys.exit(main())
