#!/usr/bin/env python3
"""CPython's own thread tests, plain and under `pyrace run` (race mode), compared.

usage: cpython_tests.py [--pyrace BIN] [--python PY] [--futures-python PY]
                        [--modules m1,m2] [--keep DIR] [--findings]

Runs test_queue, test_thread, test_threading and the threads part of
test_concurrent_futures (the ThreadPool* classes and FutureTests) from the
interpreter's own `test` package, one module at a time, with
`python -m unittest -v test.<module>`, then the same under
`pyrace run --instrument test.<module> --format json`. Prints per module the
outcome counts of both runs, whether every single test has the same outcome,
the wall-time ratio, and the findings by kind (--findings: each finding).

test_concurrent_futures is not installed in every interpreter's test package
(pyenv's 3.11.7 and 3.12.1 here lack it); it then runs with --futures-python, or
the newest interpreter under $PYENV_ROOT that has it and a pyrace runtime.
Exit status: 0 when every module gives the same per-test outcomes, 1 otherwise.
"""
import argparse
import collections
import glob
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

MODULES = {
    "test_queue": [],
    "test_thread": [],
    "test_threading": [],
    # Only the thread-pool classes and the Future tests: the rest needs processes.
    "test_concurrent_futures": ["-k", "ThreadPool", "-k", "FutureTests"],
}

# unittest -v prints "test_x (test.mod.Class.test_x) ... " and the outcome after
# whatever the test itself prints (its docstring, progress lines), so the outcome is
# the first outcome word after the header.
HEADER_RE = re.compile(r"^(test\w*) \(([\w.]+)\)", re.M)
# (test_concurrent_futures prints each test's duration before its outcome: "0.10s ok".)
OUTCOME_RE = re.compile(r"(?:\.\.\. |^)(?:[\d.]+s )?(ok|FAIL|ERROR|skipped|expected failure|unexpected success)\b", re.M)


def parse_unittest(text):
    outcomes = {}
    headers = list(HEADER_RE.finditer(text))
    for i, h in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(text)
        m = OUTCOME_RE.search(text, h.end(), end)
        name, where = h.group(1), h.group(2)
        outcomes[where if where.endswith(name) else where + "." + name] = m.group(1) if m else "?"
    ran = re.search(r"^Ran (\d+) tests? in", text, re.M)
    final = re.search(r"^(OK|FAILED)(?: \((.*)\))?\s*$", text, re.M)
    return outcomes, int(ran.group(1)) if ran else None, final.group(0).strip() if final else "?"


def run(cmd, env=None):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, text=True, errors="replace")
    return time.perf_counter() - t0, p.returncode, p.stdout


def version_of(python):
    try:
        out = subprocess.run([python, "-c", "import sys; print('%d%d' % sys.version_info[:2])"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    except OSError:
        return None
    return out.stdout.strip() or None


def has_module(python, module):
    p = subprocess.run([python, "-c", "import importlib.util, sys; "
                        "sys.exit(importlib.util.find_spec('test.%s') is None)" % module],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return p.returncode == 0


def runtime_dir(pyrace):
    return os.environ.get("PYRACE_RUNTIME_DIR") or os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(pyrace))), "lib", "pyrace")


def has_runtime(pyrace, python):
    ver = version_of(python)
    return bool(ver) and bool(glob.glob(os.path.join(runtime_dir(pyrace), "_pyrace.cpython-%s-*" % ver)))


def find_python_with(module, pyrace, preferred):
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates = preferred + sorted(glob.glob(os.path.join(root, "versions", "3.*", "bin", "python3.*[0-9]")),
                                    key=lambda p: [int(x) for x in re.findall(r"\d+", os.path.basename(p))],
                                    reverse=True)
    for python in candidates:
        if python and has_module(python, module) and has_runtime(pyrace, python):
            return python
    return None


def load_findings(path):
    try:
        with open(path) as f:
            return json.load(f).get("findings", [])
    except (OSError, ValueError):
        return None


def short(path):
    m = re.search(r"/(test/.*)$", path)
    return m.group(1) if m else path


def compare(module, python, pyrace, keep, show_findings):
    args = ["-m", "unittest", "-v"] + MODULES[module] + ["test." + module]
    plain_t, plain_rc, plain_out = run([python] + args)
    report = os.path.join(keep, module + ".json")
    cmd = [pyrace, "run", "--python", python, "--instrument", "test." + module,
           "--format", "json", "--output", report] + args
    race_t, race_rc, race_out = run(cmd)
    with open(os.path.join(keep, module + ".plain.log"), "w") as f:
        f.write(plain_out)
    with open(os.path.join(keep, module + ".pyrace.log"), "w") as f:
        f.write(race_out)

    plain, plain_ran, plain_final = parse_unittest(plain_out)
    race, race_ran, race_final = parse_unittest(race_out)
    diff = sorted(t for t in set(plain) | set(race) if plain.get(t) != race.get(t))
    same = not diff and plain_ran == race_ran and plain_final == race_final

    print("== %s (python %s)" % (module, version_of(python)))
    for label, outcomes, ran, final, t, rc in (("plain ", plain, plain_ran, plain_final, plain_t, plain_rc),
                                              ("pyrace", race, race_ran, race_final, race_t, race_rc)):
        counts = collections.Counter(outcomes.values())
        print("  %s ran %s  %s  [%s]  %.1f s  exit %d" % (
            label, ran, final, ", ".join("%s %d" % kv for kv in sorted(counts.items())), t, rc))
    print("  per-test outcomes: %s" % ("identical" if same else "DIFFERENT"))
    for t in diff:
        print("    %s: plain %s, pyrace %s" % (t, plain.get(t, "-"), race.get(t, "-")))
    print("  time ratio pyrace/plain: %.2fx" % (race_t / plain_t if plain_t else float("nan")))
    findings = load_findings(report)
    if findings is None:
        print("  findings: no report (%s); see %s.pyrace.log" % (report, module))
        return same
    kinds = collections.Counter(f["kind"] for f in findings)
    print("  findings: %d%s" % (len(findings), "".join(
        "  %s %d" % kv for kv in sorted(kinds.items()))))
    if show_findings:
        for f in findings:
            loc = f["locations"][0] if f.get("locations") else {}
            print("    %s %s:%s %s (x%s)\n      %s" % (
                f["kind"], short(loc.get("file", "?")), loc.get("line", "?"),
                loc.get("function", "?"), f.get("count", 1), f["message"].split("\n")[0][:200]))
    return same


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pyrace", default=os.path.join(REPO, "build", "bin", "pyrace"))
    ap.add_argument("--python", default="python3")
    ap.add_argument("--futures-python", help="interpreter for test_concurrent_futures")
    ap.add_argument("--modules", default=",".join(MODULES))
    ap.add_argument("--keep", help="directory for the logs and JSON reports (default: a temp dir)")
    ap.add_argument("--findings", action="store_true", help="list every finding")
    opts = ap.parse_args()
    # A shell starts background jobs with SIGINT ignored, and exec keeps an ignored
    # signal ignored: _thread.interrupt_main() then does nothing and test_threading's
    # InterruptMainTests fail, with or without pyrace. A handled signal is reset to
    # the default in the children, so both runs see the usual SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if not os.access(opts.pyrace, os.X_OK):
        sys.exit("no pyrace binary at %s (use --pyrace)" % opts.pyrace)
    keep = opts.keep or tempfile.mkdtemp(prefix="pyrace-cpython-tests-")
    os.makedirs(keep, exist_ok=True)
    print("logs and reports in %s" % keep)

    all_same = True
    for module in opts.modules.split(","):
        if module not in MODULES:
            sys.exit("unknown module %s (known: %s)" % (module, ", ".join(MODULES)))
        preferred = [opts.futures_python] if module == "test_concurrent_futures" and opts.futures_python else []
        python = find_python_with(module, opts.pyrace, preferred + [opts.python])
        if python is None:
            print("== %s: no interpreter with this test module and a pyrace runtime" % module)
            all_same = False
            continue
        all_same &= compare(module, python, opts.pyrace, keep, opts.findings)
    return 0 if all_same else 1


if __name__ == "__main__":
    sys.exit(main())
