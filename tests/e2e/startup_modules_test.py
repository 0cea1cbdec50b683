#!/usr/bin/env python3
"""pyrace imports nothing the program can see that it does not need: for a trivial
program, sys.modules when the program starts is the same set of modules plainly, under
`pyrace run --detect=deadlocks` and under `pyrace run` (race mode), except the modules
named below, each with the reason it cannot be avoided. Modules pyrace wraps only
when the program uses them (socket, _queue, asyncio) are imported by the program's
own import, never by pyrace.

usage: startup_modules_test.py --pyrace BIN --python PY
"""
import argparse
import ast
import os
import subprocess
import sys
import tempfile

# Imports nothing but sys (always there): what it prints is what was imported before it.
PROGRAM = "import sys\nprint(sorted(sys.modules))\n"

# Needed in both modes, each with what importing it imports on this interpreter.
EVERY_MODE = {
    # The runtime itself: the bootstrap imports it before the program runs.
    "_pyrace": "the runtime",
    # The runtime wraps threading's classes (Thread.join, _shutdown, Condition's
    # _is_owned) and imports it right after wrapping _thread's locks, so that every lock
    # threading makes is a wrapped one (docs/runtime.md, "What is wrapped"); a later
    # import would leave the locks made before unseen. pyenv's 3.11 imports it at
    # start-up anyway.
    "threading": "wrapped at start-up, after _thread",
    # The runtime's exit handling runs after threading._shutdown, as an atexit callback.
    "atexit": "the runtime's exit handling",
    # The tool starts the program through `python -c <runner>`, and python 3.13+ keeps
    # a -c source in linecache for tracebacks.
    "linecache": "python -c's source, 3.13+",
}
# Race mode only: the rewriting import hook runs in the program's process, and the
# main script is rewritten before it runs.
RACE_MODE = {
    "_pyrace_instrument": "the rewriting import hook",
    # Loaded by the first rewrite (a child that imports nothing of the project never
    # loads it): here the main script's, before it runs.
    "_pyrace_instrument.rewriter": "the AST rewriter, for the main script",
    # collections.deque is a hand-off channel; the hooks know its type from the start.
    "_collections": "deque's type, for the hand-off hooks",
    # The rewriter names expressions with ast.unparse, which 3.14 moved into a module of
    # its own that ast imports on first use.
    "_ast_unparse": "ast.unparse in the rewriter, 3.14+",
}




def imported_by(python, names, pythonpath, d):
    """What importing names adds to the sys.modules of a plain interpreter running a
    script (python -c starts with other modules)."""
    script = os.path.join(d, "imports.py")
    with open(script, "w") as f:
        f.write("import sys\nbefore = set(sys.modules)\nnames = %r\nfor n in names:\n    try:\n        __import__(n)\n"
                "    except ImportError:\n        pass  # a module of another version\n"
                "print(sorted(set(sys.modules) - before))\n" % (sorted(names),))
    env = dict(os.environ, PYTHONPATH=pythonpath)
    p = subprocess.run([python, script], env=env, capture_output=True, text=True, timeout=120, check=True)
    return set(ast.literal_eval(p.stdout.splitlines()[-1]))


def modules(cmd, cwd, env):
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise SystemExit("%s exited %d:\n%s" % (" ".join(cmd), p.returncode, p.stderr))
    return set(ast.literal_eval(p.stdout.splitlines()[-1]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pyrace", required=True)
    ap.add_argument("--python", required=True)
    a = ap.parse_args()
    a.pyrace = os.path.abspath(a.pyrace)
    env = dict(os.environ)
    env.pop("PYRACE_OPTIONS", None)
    env.pop("PYTHONSTARTUP", None)
    failures = []
    with tempfile.TemporaryDirectory() as d:
        prog = os.path.join(d, "trivial.py")
        with open(prog, "w") as f:
            f.write(PROGRAM)
        plain = modules([a.python, prog], d, env)
        runtime_dir = os.path.join(os.path.dirname(os.path.dirname(a.pyrace)), "lib", "pyrace")
        for mode, needed in ((["--detect=deadlocks"], EVERY_MODE), ([], {**EVERY_MODE, **RACE_MODE})):
            allowed = set(needed) | imported_by(a.python, set(needed) - {"_pyrace"}, runtime_dir, d)
            got = modules([a.pyrace, "run", "--python", a.python] + mode + [prog], d, env)
            name = " ".join(["pyrace run"] + mode)
            extra = got - plain - allowed
            missing = plain - got
            if extra:
                failures.append("%s imports what the plain run does not: %s" % (name, sorted(extra)))
            if missing:
                failures.append("%s lacks modules of the plain run: %s" % (name, sorted(missing)))
            print("%s: %d modules (plain %d); allowed extras present: %s"
                  % (name, len(got), len(plain), sorted((got - plain) - extra)))
    for f in failures:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
