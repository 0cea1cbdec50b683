#!/usr/bin/env python3
"""What following child processes costs (docs/children.md).

usage: children_overhead.py --pyrace BIN [--python PY] [--runs N] [--children N]
                            [--tests N] [--skip-pytest]

1. Start-up of a child that does nothing: a parent starts `python -c pass` --children
   times and times each start with perf_counter; the median under `pyrace run` minus
   the median under plain python is the cost per followed child (target: 30 ms).
2. `pyrace run -m pytest -n 2` over a generated suite of --tests small threaded tests
   against `python -m pytest -n 2` (pytest-xdist; target: 1.5x), median of --runs
   wall times each.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

# Prints the median wall time and the median CPU time (user + sys of the child) of one
# child start: on a shared machine the CPU time is the steadier figure.
PARENT = r"""
import resource, statistics, subprocess, sys, time
def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
walls, cpus = [], []
for _ in range(int(sys.argv[1])):
    t0, c0 = time.perf_counter(), cpu()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    walls.append(time.perf_counter() - t0)
    cpus.append(cpu() - c0)
print(statistics.median(walls), statistics.median(cpus))
"""

TEST = '''
def test_threads_{n}():
    lock = threading.Lock()
    box = [0]

    def bump():
        for _ in range(50):
            with lock:
                box[0] += 1

    threads = [threading.Thread(target=bump) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert box[0] == 100
'''


def child_start_ms(cmd_prefix, parent, children):
    """(wall, cpu) medians of one child start, in ms."""
    out = subprocess.run(cmd_prefix + [parent, str(children)], check=True, capture_output=True, text=True).stdout
    wall, cpu = out.strip().splitlines()[-1].split()
    return float(wall) * 1000, float(cpu) * 1000


def timed(cmd, cwd):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pyrace", required=True)
    ap.add_argument("--python", default="python3")
    ap.add_argument("--pytest-python", default="/usr/bin/python3", help="a Python with pytest-xdist")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--children", type=int, default=20)
    ap.add_argument("--tests", type=int, default=200)
    ap.add_argument("--skip-pytest", action="store_true")
    a = ap.parse_args()
    a.pyrace = os.path.abspath(a.pyrace)  # the pytest runs start in a temporary directory
    with tempfile.TemporaryDirectory() as tmp:
        parent = os.path.join(tmp, "spawn_nothing.py")
        with open(parent, "w") as f:
            f.write(PARENT)
        plain = [child_start_ms([a.python], parent, a.children) for _ in range(a.runs)]
        traced = [child_start_ms([a.pyrace, "run", "--python", a.python], parent, a.children) for _ in range(a.runs)]
        for i, what in ((0, "wall"), (1, "cpu")):
            p = statistics.median(x[i] for x in plain)
            t = statistics.median(x[i] for x in traced)
            print("child start-up (%s): plain %.1f ms, under pyrace %.1f ms, cost %.1f ms per child (target <= 30 ms)"
                  % (what, p, t, t - p))
        if a.skip_pytest:
            return
        with open(os.path.join(tmp, "test_many.py"), "w") as f:
            f.write("import threading\n")
            for n in range(a.tests):
                f.write(TEST.format(n=n))
        pytest = ["-m", "pytest", "-n", "2", "-q", "-p", "no:cacheprovider", "test_many.py"]
        plain = [timed([a.pytest_python] + pytest, tmp) for _ in range(a.runs)]
        traced = [timed([a.pyrace, "run", "--python", a.pytest_python] + pytest, tmp) for _ in range(a.runs)]
        p, t = statistics.median(plain), statistics.median(traced)
        print("pytest -n 2, %d tests: plain %.2f s, under pyrace %.2f s, ratio %.2fx (target <= 1.5x)"
              % (a.tests, p, t, t / p))


if __name__ == "__main__":
    main()
