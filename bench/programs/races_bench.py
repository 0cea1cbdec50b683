#!/usr/bin/env python3
"""Race mode's overhead: races_access_heavy.py under plain python and under pyrace.

usage: races_bench.py [--pyrace BIN | --runtime DIR] [--python PY] [--runs N] [--scale X]

--pyrace BIN   `pyrace run prog` (recording, live analysis, report: the whole cost).
--runtime DIR  the runtime alone, as the tool drives it: `python -c "import _pyrace;
               _pyrace.bootstrap()" prog` with PYTHONPATH=DIR and the trace drained
               from a pipe (no analysis).
Prints medians of wall time and of peak RSS (the largest single process: with
--pyrace that is max(tool, program)), the ratios to plain python, and the targets
(the bar: <= 3x time, <= 2x memory).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

from runtime_child import traced_child

HERE = os.path.dirname(os.path.abspath(__file__))
PROG = os.path.join(HERE, "races_access_heavy.py")


def measure(cmd, env=None, pass_fds=()):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, pass_fds=pass_fds, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - t0, usage.ru_maxrss, p.returncode


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
    a = ap.parse_args()
    if not a.pyrace and not a.runtime:
        ap.error("give --pyrace BIN or --runtime DIR")
    plain, traced = [], []
    for _ in range(a.runs):
        plain.append(measure([a.python, PROG, str(a.scale)]))
        if a.pyrace:
            traced.append(measure([a.pyrace, "run", "--python", a.python, PROG, str(a.scale)]))
        else:
            traced.append(run_runtime(a.python, a.runtime, PROG, a.scale))
    bad = [r for r in traced if r[2] != 0]
    if bad:
        print("pyrace run exited %d (findings or failure): the program must be clean" % bad[0][2])
        return 1
    pt, pm = statistics.median(r[0] for r in plain), statistics.median(r[1] for r in plain)
    tt, tm = statistics.median(r[0] for r in traced), statistics.median(r[1] for r in traced)
    mode = "pyrace run" if a.pyrace else "runtime only"
    print("races_access_heavy.py x%.2f, %d runs, %s, python %s" % (a.scale, a.runs, mode, a.python))
    print("  time   plain %.2f s  pyrace %.2f s  ratio %.2fx (target <= 3x)" % (pt, tt, tt / pt))
    print("  memory plain %d KB  pyrace %d KB  ratio %.2fx (target <= 2x)" % (pm, tm, tm / pm))
    return 0


if __name__ == "__main__":
    sys.exit(main())
