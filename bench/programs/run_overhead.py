#!/usr/bin/env python3
"""Times plain python against the same program under pyrace, several runs each.

usage: run_overhead.py [--pyrace BIN] [--runtime DIR] [--python PY] [--runs N]
                       [--detect races,deadlocks|deadlocks] [prog.py ...]

With --pyrace (the tool binary) the program runs as `pyrace run prog.py`. Without
it, the runtime is driven directly, as the tool would: `python -c "import _pyrace;
_pyrace.bootstrap()" prog.py` with PYTHONPATH=DIR and the trace written to a pipe
drained by this script (so trace encoding and writing are part of the cost).
--detect=deadlocks is the lock-only mode the 1.5x / 1.2x targets are for; the
default (races too) adds the race instrumentation of the program's own code.
Prints per-program medians and the ratio pyrace/plain.
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

from runtime_child import traced_child

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PROGRAMS = ["lock_in_loop.py", "executor_map.py"]
TARGETS = {"lock_in_loop.py": 1.5, "executor_map.py": 1.2, "asyncio_tasks.py": 1.3}
# The targets with race detection on (--detect races,deadlocks), where they differ.
RACE_TARGETS = {"asyncio_tasks.py": 3.0}


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class Timed:
    """Wall time and the CPU time of the child processes (user + sys): the machine
    may be shared, and CPU time is less disturbed by other load than wall time."""

    def __enter__(self):
        self.t0, self.c0 = time.perf_counter(), child_cpu()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        self.cpu = child_cpu() - self.c0


def run_plain(python, prog):
    with Timed() as t:
        subprocess.run([python, prog], check=True, stdout=subprocess.DEVNULL)
    return t


def run_runtime(python, runtime_dir, prog, detect):
    with traced_child(python, runtime_dir, [prog], "detect=%s" % detect) as (argv, env, fds, drained):
        with Timed() as t:
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env, pass_fds=fds)
    return t, drained[0]


def run_tool(pyrace, python, prog, detect):
    cmd = [pyrace, "run", "--detect", detect] + (["--python", python] if python else []) + [prog]
    with Timed() as t:
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pyrace")
    ap.add_argument("--runtime", default=os.path.join(HERE, "..", "..", "build", "lib", "pyrace"))
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--detect", default="deadlocks")
    ap.add_argument("programs", nargs="*")
    a = ap.parse_args()
    # A bare name is one of this folder's programs (`run_overhead.py executor_map.py`).
    progs = [p if os.path.exists(p) else os.path.join(HERE, p) for p in a.programs or DEFAULT_PROGRAMS]
    print("python: %s  runs: %d  mode: %s  detect: %s" % (
        a.python, a.runs, "pyrace run" if a.pyrace else "runtime", a.detect))
    for prog in progs:
        plain, traced, sizes = [], [], []
        for _ in range(a.runs):
            plain.append(run_plain(a.python, prog))
            if a.pyrace:
                traced.append(run_tool(a.pyrace, a.python, prog, a.detect))
            else:
                secs, size = run_runtime(a.python, os.path.abspath(a.runtime), prog, a.detect)
                traced.append(secs)
                sizes.append(size)
        name = os.path.basename(prog)
        target = RACE_TARGETS.get(name) if "races" in a.detect else TARGETS.get(name)
        for what in ("wall", "cpu"):
            mp = statistics.median(getattr(t, what) for t in plain)
            mt = statistics.median(getattr(t, what) for t in traced)
            print("%-18s %-4s plain %.3fs  pyrace %.3fs  ratio %.2fx%s%s" % (
                name, what, mp, mt, mt / mp,
                "  (target <= %.1fx)" % target if target else "",
                "  trace %.1f MB" % (statistics.median(sizes) / 1e6) if sizes and what == "wall" else ""))


if __name__ == "__main__":
    main()
