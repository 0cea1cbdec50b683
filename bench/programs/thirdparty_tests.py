#!/usr/bin/env python3
"""Real libraries' own test suites, plain and under pyrace, compared test by test.

usage: thirdparty_tests.py [--pyrace BIN] [--python PY] [--libs LIST] [--modes plain,locks,races]
                           [--root DIR] [--results DIR] [--timeout S] [--fresh] [--table] [--list]

The libraries come from Debian's source packages (scripts/fetch-thirdparty.sh puts them,
and the binary packages their tests import, under DIR, default build/thirdparty). Each
library's suite runs under pytest three ways, from the library's source directory:

  plain  python -m pytest --junitxml FILE ...
  locks  pyrace run --detect=deadlocks --format json --output R -m pytest ...
  races  pyrace run --instrument <package> --format json --output R -m pytest ...

and, as in cpython_tests.py (whose comparison this uses), the outcome of every test
read from the JUnit XML, the run's own result (pytest's summary line) and the absence
of a crash must be the same in each mode. The allow-list is the one of
docs/semantics.md, with the library's name in its module column.

Results go to DIR/results/<library>.<mode>.json (logs in DIR/results/logs/), kept
for resuming; the table (DIR/results/table.md, also printed) has per library the
tests, how many are identical, the differences, the time ratio per mode and the
findings by kind.

Exit status: 0 when every library is identical in every mode (allowed differences
aside) and nothing crashed, 1 otherwise, 2 on usage errors, 77 (skipped) when the
libraries are not fetched (this machine's Debian mirror could not serve them).
"""
import argparse
import glob
import gzip
import json
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile

import cpython_tests as harness

REPO = harness.REPO
MODES = harness.MODES
SKIP = 77

# library -> its Debian source package (the directory fetch-thirdparty.sh unpacks it to),
# the package instrumented in race mode, the directories put first on PYTHONPATH,
# pytest's options (the library's own test configuration, less what needs plugins
# Debian's pytest does not have here), the test paths, and the tests left out in every
# mode with the reason (listed in the table: each is an open difference). Chosen for what pyrace changes: tornado (asyncio
# event loops, threads, executors, subprocesses), async_timeout (asyncio cancellation),
# cachetools (locks around caches), dateutil (a large pure-Python suite: classes,
# descriptors, caches with weak references, hypothesis), cloudpickle (functions and
# classes pickled by value, their code included, and loaded in child processes).
LIBRARIES = {
    "tornado": {
        "source": "python-tornado", "instrument": "tornado", "path": ["."],
        # The *Mixin classes are abstract bases that tornado's own unittest runner
        # never collects; pytest would, and they fail plainly.
        "options": ["-o", "python_files=*_test.py", "-k", "not Mixin"], "paths": ["tornado/test"],
    },
    "async_timeout": {
        "source": "python-async-timeout", "instrument": "async_timeout", "path": ["."],
        "options": ["-o", "addopts="], "paths": ["tests"],  # addopts asks for pytest-cov
    },
    "cachetools": {
        "source": "python-cachetools", "instrument": "cachetools", "path": ["src"],
        "options": [], "paths": ["tests"],
    },
    "cloudpickle": {
        # Its tests import the helper package of tests/cloudpickle_testpkg, which its
        # own CI installs; their child processes find it on the path they set.
        "source": "cloudpickle", "instrument": "cloudpickle", "path": [".", "tests/cloudpickle_testpkg"],
        "options": [], "paths": ["tests"],
    },
    "dateutil": {
        "source": "python-dateutil", "instrument": "dateutil", "path": ["src"],
        # conftest.py adds a pytest-cov marker that this pytest does not know, and
        # setup.cfg turns every warning into an error.
        "options": ["-W", "ignore::pytest.PytestUnknownMarkWarning"], "paths": ["tests"],
    },
}

# pytest's last line, "1 failed, 32 passed, 1 skipped in 1.25s" (between "=" rules without -q).
SUMMARY_RE = re.compile(r"^(?:=+ )?(\d+ [\w ]+(?:, \d+ [\w ]+)*) in [\d.]+s(?: \([\d:]+\))?(?: =+)?\s*$", re.M)


def source_dir(root, lib):
    found = sorted(d for d in glob.glob(os.path.join(root, "src", LIBRARIES[lib]["source"] + "-*"))
                   if os.path.isdir(d))
    return found[-1] if found else None


def site_dir(root):
    return os.path.join(root, "site", "usr", "lib", "python3", "dist-packages")


def node_id(tree, test):
    """pytest's node id of a JUnit test id ("tornado.test.gen_test.RunnerGCTest::test_gc"
    -> "tornado/test/gen_test.py::RunnerGCTest::test_gc"): the longest prefix of the
    classname that is a file of the tree is the module, the rest its classes."""
    classname, _, name = test.partition("::")
    parts = classname.split(".")
    for i in range(len(parts), 0, -1):
        path = "/".join(parts[:i]) + ".py"
        if os.path.isfile(os.path.join(tree, path)):
            return "::".join([path] + parts[i:] + [name])
    return None


def command(mode, python, pyrace, lib, junit, report, only=None):
    spec = LIBRARIES[lib]
    pytest = ["-m", "pytest", "-p", "no:cacheprovider", "-q", "--junitxml", junit] + spec["options"]
    pytest += ["--deselect=" + t for t in spec.get("left_out", {})]
    pytest += only if only else spec["paths"]
    if mode == "plain":
        return [python] + pytest
    cmd = [pyrace, "run", "--python", python, "--format", "json", "--output", report]
    if mode == "locks":
        cmd.append("--detect=deadlocks")
    else:
        cmd += ["--instrument", spec["instrument"]]
    return cmd + pytest


def run_one(mode, python, version, pyrace, lib, root, opts, logdir, only=None):
    src = source_dir(root, lib)
    work = tempfile.mkdtemp(prefix="pyrace-thirdparty-")
    # Each run gets its own copy: a suite writes into its tree (caches, temporary
    # files), and no run may see what another left.
    tree = os.path.join(work, "src")
    shutil.copytree(src, tree, symlinks=True)
    env = dict(os.environ)
    paths = [os.path.join(tree, p) for p in LIBRARIES[lib]["path"]] + [site_dir(root)]
    env["PYTHONPATH"] = os.pathsep.join(paths + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    # The fetched packages are installed, for the suite's child processes as well,
    # which may set a PYTHONPATH of their own (cloudpickle's do): as a user site.
    userbase = os.path.join(work, "userbase")
    user_site = os.path.join(userbase, "lib", "python" + ".".join(version.split(".")[:2]), "site-packages")
    os.makedirs(user_site)
    with open(os.path.join(user_site, "pyrace-thirdparty.pth"), "w") as f:
        f.write(site_dir(root) + "\n")
    env["PYTHONUSERBASE"] = userbase
    try:
        junit = os.path.join(work, "junit.xml")
        report = os.path.join(work, "report.json")
        ids = [n for n in (node_id(tree, t) for t in only or ()) if n]
        cmd = command(mode, python, pyrace, lib, junit, report, ids)
        wall, rc, out, timed_out = harness.run(cmd, tree, opts.timeout, env=env)
        tests = harness.parse_junit(junit)
        findings = harness.findings_of(report) if mode != "plain" else []
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log = "%s.%s%s.log.gz" % (lib, mode, ".again" if only else "")
    with gzip.open(os.path.join(logdir, log), "wt") as f:
        f.write(" ".join(cmd) + "\n\n" + out)
    summary = SUMMARY_RE.findall(out)
    crash = harness.CRASH_RE.findall(out)
    if timed_out:
        status = "timeout"
    elif crash or rc < 0:
        status = "crashed"
    elif summary:
        status = summary[-1].strip()
    else:
        status = "no-result"
    return {"module": lib, "mode": mode, "python": version, "command": cmd, "status": status,
            "reason": crash[0] if crash else None, "exit": rc, "wall": round(wall, 3),
            "tests": tests if tests is not None else {}, "findings": findings}


def again_path(outdir, lib, mode):
    return os.path.join(outdir, "%s.%s.again.json" % (lib, mode))


def differences(results, again, version, allowed):
    """harness.compare's verdict, with two refinements for whole suites: a mode whose
    run left no per-test results (it died) is one difference, not one per test; and a
    test that differed, ran again by itself in every mode and then had one outcome in
    all of them is flaky (its outcome changes from run to run, plainly too)."""
    v = harness.compare(results, version, allowed)
    plain = results["plain"]
    flaky = []
    for mode in list(v["diffs"]):
        r = results[mode]
        ds = v["diffs"][mode]
        if plain["tests"] and not r["tests"]:
            ds = [d for d in ds if d[0] == "(module)"] + [("(every test)", "%d results" % len(plain["tests"]),
                                                           "none")]
        elif again and all(m in again for m in ("plain", mode)):
            kept = []
            for d in ds:
                a, b = again["plain"]["tests"].get(d[0]), again[mode]["tests"].get(d[0])
                if d[0] != "(module)" and a is not None and a == b and all(
                        (again[m]["tests"].get(d[0]) == a) for m in again):
                    flaky.append((mode,) + d + (a,))
                else:
                    kept.append(d)
            # The summary line counts the tests: it differs exactly when they do.
            if all(d[0] == "(module)" for d in kept):
                kept = []
            ds = kept
        if ds:
            v["diffs"][mode] = ds
        else:
            del v["diffs"][mode]
    v["same"] = not v["diffs"]
    v["flaky"] = flaky
    return v


def table(version, per_lib, allowed, outdir):
    lines = ["# Third-party test suites under pyrace (Python %s)" % version, "",
             "| library | tests | identical | differing | plain s | locks x | races x | findings locks | findings races |",
             "|---|---|---|---|---|---|---|---|---|"]
    ratios = {m: [] for m in MODES[1:]}
    problems, notes = [], []
    for lib in sorted(per_lib):
        results = per_lib[lib]
        plain = results.get("plain")
        if plain is None:
            continue
        again = {m: r for m, r in ((m, load_json(again_path(outdir, lib, m))) for m in MODES) if r}
        v = differences(results, again, version, allowed)
        names = set(plain["tests"])
        for mode in MODES[1:]:
            names |= set((results.get(mode) or {}).get("tests", {}))
        differing = {d[0] for ds in v["diffs"].values() for d in ds if d[0] not in ("(module)", "(every test)")}
        if any(d[0] == "(every test)" for ds in v["diffs"].values() for d in ds):
            differing = names
        cells = [lib, str(len(names)), str(len(names - differing)), str(len(differing)),
                 "%.1f" % plain["wall"]]
        for mode in MODES[1:]:
            r = results.get(mode)
            if r is None or not plain["wall"]:
                cells.append("-")
                continue
            ratio = r["wall"] / plain["wall"]
            ratios[mode].append((ratio, lib))
            cells.append("%.2f" % ratio)
        for mode in MODES[1:]:
            r = results.get(mode)
            cells.append(harness.kinds_text(r["findings"]) if r is not None else "-")
        lines.append("| " + " | ".join(cells) + " |")
        for mode in MODES:
            r = results.get(mode)
            if r is not None and r["status"] in ("crashed", "timeout", "no-result"):
                problems.append("- %s [%s] %s%s" % (lib, mode, r["status"], " -- " + r["reason"] if r["reason"] else ""))
        for mode, ds in sorted(v["diffs"].items()):
            problems += ["- %s [%s] %s: plain %s, %s %s" % (lib, mode, d[0], d[1], mode, d[2]) for d in ds]
        for mode, test, a, b, again_outcome in v["flaky"]:
            notes.append("- %s [%s] %s: plain %s, %s %s; run again: %s in every mode (flaky)" % (
                lib, mode, test, a, mode, b, again_outcome))
        for test, why in LIBRARIES[lib].get("left_out", {}).items():
            notes.append("- %s left out in every mode: %s -- %s" % (lib, test, why))
        for mode, ds in sorted(v["allowed"].items()):
            notes += ["- %s [%s] %s: plain %s, %s %s -- %s" % (lib, mode, d[0], d[1], mode, d[2], d[3]) for d in ds]
        for mode, test, cause in v.get("stale", []):
            notes.append("- %s [%s] %s: allowed to differ but identical now -- %s" % (lib, mode, test, cause))
        lines_status = ["%s: %s" % (m, results[m]["status"]) for m in MODES if m in results]
        notes.append("- %s results: %s" % (lib, "; ".join(lines_status)))
        for mode in MODES[1:]:
            for f in (results.get(mode) or {}).get("findings") or []:
                notes.append("- %s [%s] finding %s at %s:%s %s (x%s): %s" % (
                    lib, mode, f["kind"], re.sub(r".*/pyrace-thirdparty-[^/]+/src/", "", f["file"]),
                    f["line"], f["function"], f["count"], f["message"][:160]))
    lines += ["", "## Summary", ""]
    for mode in MODES[1:]:
        rs = sorted(ratios[mode])
        if rs:
            lines.append("- %s time ratio: median %.2fx, worst %.2fx (%s) over %d libraries" % (
                mode, statistics.median(r[0] for r in rs), rs[-1][0], rs[-1][1], len(rs)))
    if problems:
        lines += ["", "## Differences, crashes and timeouts", ""] + problems
    if notes:
        lines += ["", "## Results, allowed differences and findings", ""] + notes
    return "\n".join(lines) + "\n", not problems


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pyrace", default=os.path.join(REPO, "build", "bin", "pyrace"))
    ap.add_argument("--python", default="/usr/bin/python3",
                    help="the interpreter (default /usr/bin/python3: Debian's, with its pytest)")
    ap.add_argument("--libs", default=",".join(LIBRARIES), help="comma-separated libraries (default all)")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--root", default=os.path.join(REPO, "build", "thirdparty"),
                    help="where scripts/fetch-thirdparty.sh put the libraries (default build/thirdparty)")
    ap.add_argument("--results", help="results directory (default ROOT/results)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per run (default 1800)")
    ap.add_argument("--fresh", action="store_true", help="run again what the results directory has")
    ap.add_argument("--retries", type=int, default=1,
                    help="0: tests that differ are not run again by themselves (default 1)")
    ap.add_argument("--table", action="store_true", help="only write the table of what was run")
    ap.add_argument("--list", action="store_true", help="print the libraries, one a line")
    opts = ap.parse_args()
    libs = [lib for lib in opts.libs.split(",") if lib]
    if any(lib not in LIBRARIES for lib in libs):
        ap.error("--libs: any of %s" % ", ".join(LIBRARIES))
    if opts.list:
        print("\n".join(libs))
        return 0
    modes = [m for m in opts.modes.split(",") if m]
    if any(m not in MODES for m in modes) or "plain" not in modes:
        ap.error("--modes: plain and any of locks, races")
    if not opts.table and not os.access(opts.pyrace, os.X_OK):
        ap.error("no pyrace binary at %s (use --pyrace)" % opts.pyrace)
    python = harness.resolve_python(opts.python)
    version = harness.version_of(python)
    if version is None:
        sys.exit("cannot run %s" % python)
    missing = [lib for lib in libs if source_dir(opts.root, lib) is None]
    if not opts.table and (missing or not os.path.isfile(os.path.join(opts.root, ".pyrace-thirdparty"))):
        print("SKIP: the libraries are not fetched into %s (%s): run scripts/fetch-thirdparty.sh %s;"
              " it needs a Debian mirror that serves their sources" % (
                  opts.root, ", ".join(missing) or "no stamp", opts.root))
        return SKIP
    if not opts.table and not harness.has_runtime(opts.pyrace, version):
        sys.exit("no pyrace runtime for Python %s in %s" % (version, harness.runtime_dir(opts.pyrace)))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as cpython_tests.py does
    allowed = harness.load_allowed(harness.SEMANTICS_DOC)
    outdir = opts.results or os.path.join(opts.root, "results")
    logdir = os.path.join(outdir, "logs")
    os.makedirs(logdir, exist_ok=True)
    if not opts.table:
        print("Python %s (%s): %s, results in %s" % (version, python, ", ".join(libs), outdir), flush=True)
        for lib in libs:
            for mode in modes:
                path = harness.result_path(outdir, lib, mode)
                if os.path.exists(path) and not opts.fresh:
                    continue
                for m in MODES:  # an earlier run's second look is stale now
                    if os.path.exists(again_path(outdir, lib, m)):
                        os.remove(again_path(outdir, lib, m))
                r = run_one(mode, python, version, opts.pyrace, lib, opts.root, opts, logdir)
                with open(path + ".tmp", "w") as f:
                    json.dump(r, f, indent=1, sort_keys=True)
                os.replace(path + ".tmp", path)
                print("%-15s %-6s %-50s %.1fs" % (lib, mode, r["status"], r["wall"]), flush=True)
            results = harness.load(outdir, lib)
            if "plain" not in results or opts.retries < 1:
                continue
            v = harness.compare(results, version, allowed)
            retry = sorted({d[0] for m, ds in v["diffs"].items() if results[m]["tests"]
                            for d in ds if d[0] != "(module)"})
            if not retry or all(os.path.exists(again_path(outdir, lib, m)) for m in modes):
                continue
            print("%-15s %d tests differ, running them again in every mode" % (lib, len(retry)), flush=True)
            for mode in modes:
                r = run_one(mode, python, version, opts.pyrace, lib, opts.root, opts, logdir, only=retry)
                with open(again_path(outdir, lib, mode), "w") as f:
                    json.dump(r, f, indent=1, sort_keys=True)
    per_lib = {lib: harness.load(outdir, lib) for lib in libs}
    text, ok = table(version, {k: v for k, v in per_lib.items() if "plain" in v}, allowed, outdir)
    with open(os.path.join(outdir, "table.md"), "w") as f:
        f.write(text)
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
