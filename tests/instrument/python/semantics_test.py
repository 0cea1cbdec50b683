"""The rewriter keeps what a program does: every program under testdata/semantics/
runs plainly and in race mode (`pyrace run`, the program rewritten), and both runs
must give the same stdout, stderr and exit code, byte for byte.

Run: python3 semantics_test.py --pyrace build/bin/pyrace [--python python3.12] [names...]
(The reference hooks would not do here: being Python functions, they add frames to
the very tracebacks compared.)
"""

import argparse
import difflib
import glob
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
PROGRAMS = os.path.join(ROOT, "testdata", "semantics")
INSTRUMENT = os.path.join(ROOT, "instrument", "python")

def environment():
    env = dict(os.environ)
    # Deterministic output, and no bytecode caches written into the source tree.
    env.update(PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1", PYTHONIOENCODING="utf-8")
    env.pop("PYRACE_OPTIONS", None)
    env.pop("PYTHONSTARTUP", None)
    return env


def run(cmd, cwd):
    p = subprocess.run(cmd, cwd=cwd, env=environment(), capture_output=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def programs(names):
    found = sorted(glob.glob(os.path.join(PROGRAMS, "*.py")))
    # Modules starting with "_" are helpers the programs import (rewritten too: they sit
    # in the program's directory, the project).
    found = [p for p in found if not os.path.basename(p).startswith("_")]
    if names:
        found = [p for p in found if os.path.splitext(os.path.basename(p))[0] in names]
    return found


def diff(what, plain, rewritten):
    a = plain.decode("utf-8", "replace").splitlines(keepends=True)
    b = rewritten.decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, "plain " + what, "rewritten " + what))


# Rewritten code runs the interpreter's own operation instead of a hook while the
# program has one thread (docs/races.md): each program runs that way and once more with
# the hooks called throughout, the path every access takes once a thread has started.
MODES = ((), ("--hooks-single-thread",))


def check(prog, python, pyrace, tmp):
    d = os.path.dirname(prog)
    plain = run([python, prog], d)
    report = os.path.join(tmp, "report.json")
    problems = []
    for mode in MODES:
        if os.path.exists(report):
            os.unlink(report)
        # The report goes to a file: what is left on stderr is the program's own.
        rewritten = run([pyrace, "run", "--python", python, "--format", "json", "--output", report, *mode, prog],
                        d)
        try:
            with open(report) as f:
                findings = json.load(f).get("findings", [])
        except (OSError, ValueError) as e:
            problems.append("no pyrace report %s(%s); stderr:\n%s"
                            % (" ".join(mode), e, rewritten[2].decode("utf-8", "replace")))
            continue
        if plain[0] != rewritten[0]:
            problems.append("exit code %s: plain %d, rewritten %d" % (" ".join(mode), plain[0], rewritten[0]))
        for i, what in ((1, "stdout"), (2, "stderr")):
            if plain[i] != rewritten[i]:
                problems.append(diff(what, plain[i], rewritten[i]))
        if findings:
            problems.append("findings in a single-threaded program %s: %s" % (" ".join(mode), findings))
    return problems


def rewritten_sites(prog):
    """How many accesses the rewriter instruments in prog: a program it leaves alone
    tests nothing."""
    sys.path.insert(0, INSTRUMENT)
    from _pyrace_instrument import rewriter
    import ast
    with open(prog, "rb") as f:
        tree = ast.parse(f.read(), prog)
    rw = rewriter.Rewriter("__main__", "prog")
    rw.visit(tree)
    return len(rw.sites)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--pyrace", required=True, help="the pyrace binary")
    ap.add_argument("--known-difference", action="append", default=[], metavar="PROGRAM",
                    help="a program known to differ on this interpreter (docs/races.md says why); "
                         "it must still differ, so the entry goes when the cause is fixed")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    args.pyrace = os.path.abspath(args.pyrace)
    progs = programs(args.names)
    if not progs:
        print("no programs found under %s" % PROGRAMS)
        return 1
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for prog in progs:
            name = os.path.basename(prog)
            problems = []
            if rewritten_sites(prog) < 5:
                problems.append("the rewriter instruments almost nothing here")
            problems += check(prog, args.python, args.pyrace, tmp)
            if name in args.known_difference:
                # Only a difference in what the program printed is known; a crash, another
                # exit code or a report of pyrace's is a failure like anywhere else.
                if problems and all(p.startswith(("--- plain stdout", "--- plain stderr")) for p in problems):
                    print("known %s (a known difference on this interpreter)" % name)
                    continue
                problems = ["listed as a known difference but identical now: remove the entry"]
            if problems:
                failed += 1
                print("FAIL %s\n%s" % (name, "\n".join(problems)))
            else:
                print("ok   %s" % name)
    print("%d of %d programs differ (%s)" % (failed, len(progs), args.python))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
