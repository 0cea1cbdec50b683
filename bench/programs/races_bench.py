#!/usr/bin/env python3
"""Race mode's overhead: races_access_heavy.py under plain python and under pyrace.

usage: races_bench.py [--pyrace BIN | --runtime DIR] [--python PY] [--runs N] [--scale X]
                      [--program races_access_heavy.py | races_single_thread.py]

--pyrace BIN   `pyrace run prog` (recording, live analysis, report: the whole cost).
--runtime DIR  the runtime alone, as the tool drives it: `python -c "import _pyrace;
               _pyrace.bootstrap()" prog` with PYTHONPATH=DIR and the trace drained
               from a pipe (no analysis).
Prints medians of wall time and of peak RSS (the largest single process: with
--pyrace that is max(tool, program)), the ratios to plain python, and the targets
(<= 2x time, <= 1.5x memory). Plain and traced runs alternate, so a change of the
machine's load hits both.

Peak RSS comes from GNU time (/usr/bin/time, Debian's `time`), not from this script's
own wait4(): Linux folds the high-water mark of the address space a process leaves at
exec into its ru_maxrss, and a child forked from this ~15 MB interpreter would report
at least 15 MB whatever it ran. GNU time forks from its own ~1 MB.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from runtime_child import traced_child

HERE = os.path.dirname(os.path.abspath(__file__))


GNU_TIME = "/usr/bin/time"


def measure(cmd, env=None, pass_fds=()):
    """(wall s, peak RSS KB, exit code, user + system CPU s) of cmd and its children."""
    with tempfile.NamedTemporaryFile("r") as usage:
        t0 = time.perf_counter()
        rc = subprocess.call([GNU_TIME, "-q", "-f", "%M %U %S", "-o", usage.name] + cmd,
                             env=env, pass_fds=pass_fds, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        maxrss, user, system = usage.read().split()
    return wall, int(maxrss), rc, float(user) + float(system)


def run_runtime(python, runtime_dir, prog, scale):
    with traced_child(python, runtime_dir, [prog, str(scale)]) as (argv, env, fds, _):
        return measure(argv, env, fds)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pyrace")
    ap.add_argument("--runtime")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--program", default="races_access_heavy.py",
                    help="a program of bench/programs (races_single_thread.py: no threads)")
    a = ap.parse_args()
    prog = os.path.join(HERE, a.program)
    if not a.pyrace and not a.runtime:
        ap.error("give --pyrace BIN or --runtime DIR")
    if not os.access(GNU_TIME, os.X_OK):
        ap.error("%s is missing: it measures peak RSS (apt-get install time)" % GNU_TIME)
    plain, traced = [], []
    for _ in range(a.runs):
        plain.append(measure([a.python, prog, str(a.scale)]))
        if a.pyrace:
            traced.append(measure([a.pyrace, "run", "--python", a.python, prog, str(a.scale)]))
        else:
            traced.append(run_runtime(a.python, a.runtime, prog, a.scale))
    bad = [r for r in traced if r[2] != 0]
    if bad:
        print("pyrace run exited %d (findings or failure): the program must be clean" % bad[0][2])
        return 1
    pt, pm = statistics.median(r[0] for r in plain), statistics.median(r[1] for r in plain)
    tt, tm = statistics.median(r[0] for r in traced), statistics.median(r[1] for r in traced)
    mode = "pyrace run" if a.pyrace else "runtime only"
    print("%s x%.2f, %d runs, %s, python %s" % (a.program, a.scale, a.runs, mode, a.python))
    print("  time   plain %.2f s  pyrace %.2f s  ratio %.2fx (target <= 2x)" % (pt, tt, tt / pt))
    pc, tc = statistics.median(r[3] for r in plain), statistics.median(r[3] for r in traced)
    # CPU time (user + system, the program and the tool together) moves less than wall
    # time on a loaded machine.
    print("  cpu    plain %.2f s  pyrace %.2f s  ratio %.2fx" % (pc, tc, tc / pc))
    print("  memory plain %d KB  pyrace %d KB  ratio %.2fx (target <= 1.5x)" % (pm, tm, tm / pm))
    return 0


if __name__ == "__main__":
    sys.exit(main())
