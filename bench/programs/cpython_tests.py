#!/usr/bin/env python3
"""The interpreter's own regression tests, plain and under pyrace, compared test by test.

usage: cpython_tests.py [--pyrace BIN] [--python PY]... [--modules LIST|ci|all] [--skip LIST]
                        [--modes plain,locks,races] [--jobs N] [--results DIR]
                        [--use RES] [--timeout S] [--fresh] [--table] [--findings] [--list]

Each module of the `test` package runs three ways, as regrtest runs it
(`python -m test -v --junit-xml FILE <module>`, sequentially, in one process):

  plain  python -m test ...
  locks  pyrace run --detect=deadlocks --format json --output R -m test ...
  races  pyrace run --instrument test.<module> --format json --output R -m test ...

and the outcome of every test (passed, failed, error, skipped, expected-failure,
unexpected-success), read from regrtest's JUnit XML, must be the same in each mode;
so must the module's own result (regrtest's "Result:" line, the reason a module is
skipped) and no mode may crash. Modules that cannot run here (a resource regrtest
was not allowed with -u, a missing optional module) are skipped by regrtest itself,
with its reason, identically in every mode.

Results go to DIR/py<ver>/<module>.<mode>.json (and the full output next to it, in
logs/); a result already there is kept, so an interrupted run resumes (--fresh runs
everything again). The table (DIR/py<ver>/table.md, also printed) has per module the
outcome per mode, the time ratio to plain per mode and the findings by kind; its
summary the median and worst ratios, the modules that differ and the ones that could
not run, with their reasons. Known differences are the allow-list of
docs/semantics.md: each entry names its root cause; nothing else is tolerated.

Exit status: 0 when every module compared is identical in every mode (allowed
differences aside) and nothing crashed, 1 otherwise, 2 on usage errors.
"""
import argparse
import collections
import concurrent.futures
import glob
import gzip
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SEMANTICS_DOC = os.path.join(REPO, "docs", "semantics.md")

MODES = ("plain", "locks", "races")

# Tests left out of a module in every mode alike (regrtest's -i), each with why: they
# cannot run on this machine, plainly or not, and would take the module's other tests
# with them. (Python version prefix, module): (fnmatch patterns, why).
IGNORED_TESTS = {
    # A kernel with vsock but no host end (a VM such as this one): the stream tests
    # block in connect until the run's timeout, plainly.
    ("", "test_socket"): (["*VSOCK*"], "vsock tests hang plainly on this machine (no host end of the vsock)"),
    # pyenv's 3.11.7: a subinterpreter created or destroyed from a second thread hangs.
    ("3.11.", "test__xxsubinterpreters"): (["*thread*"], "subinterpreters used from another thread hang plainly"),
    ("3.11.", "test_interpreters"): (["*thread*"], "subinterpreters used from another thread hang plainly"),
}


def ignored_tests(version, module):
    """(patterns, why) of the module's tests left out on this Python, or ([], "")."""
    for (prefix, name), entry in IGNORED_TESTS.items():
        if name == module and (version or "").startswith(prefix):
            return entry
    return [], ""


# The CI subset (docs/semantics.md, "The CI subset"): classes, descriptors, scoping,
# weakrefs and gc, inspect and tracebacks, recursion, threading, queues and asyncio,
# each module short enough that the whole subset takes a few minutes on two cores.
CI_MODULES = (
    # classes, descriptors, attribute access
    "test_class", "test_descr", "test_descrtut", "test_property", "test_super",
    "test_dataclasses", "test_enum", "test_abc", "test_isinstance", "test_opcache",
    "test_genericalias", "test_typechecks",
    # scoping, compilation, evaluation order
    "test_scope", "test_funcattrs", "test_keywordonlyarg", "test_unpack", "test_unpack_ex",
    "test_grammar", "test_augassign", "test_compare", "test_contains", "test_listcomps",
    "test_setcomps", "test_dictcomps", "test_with", "test_exceptions",
    "test_exception_group", "test_raise",
    # generators and coroutines
    "test_generators", "test_yield_from", "test_coroutines", "test_asyncgen",
    "test_contextlib", "test_contextlib_async",
    # weakrefs, gc, copying, object lifetimes
    "test_weakref", "test_weakset", "test_gc", "test_finalization", "test_copy",
    "test_threading_local",
    # inspect, tracebacks, frames, tracers and profilers (they see no frame of pyrace's)
    "test_inspect", "test_traceback", "test_frame", "test_sys_settrace", "test_sys_setprofile",
    "test_trace",
    # recursion and nesting
    "test_json", "test_richcmp", "test_copyreg",
    # containers
    "test_dict", "test_list", "test_set", "test_collections", "test_deque",
    # threads, queues, asyncio
    "test_thread", "test_threading", "test_queue", "test_asyncio.test_locks",
    "test_asyncio.test_queues", "test_asyncio.test_futures",
    # child processes (followed by default: environment, descriptors, exit codes)
    "test_subprocess",
)

# "test_json skipped -- reason" (the module raised SkipTest or ResourceDenied).
SKIPPED_RE = re.compile(r"^(test[\w.]*) skipped -- (.*)$", re.M)
RESULT_RE = re.compile(r"^(?:== Tests result|Result): ([A-Z ,]+?)(?: ==)?\s*$", re.M)
# A crash: the interpreter's fatal error, pyrace's note of a killed program, or a
# sanitizer's report (the asan preset's runtime).
CRASH_RE = re.compile(r"^(?:Fatal Python error: .*|pyrace: the program was killed by SIG\w+.*"
                      r"|==\d+==ERROR: AddressSanitizer.*|.*: runtime error: .*)$", re.M)
UNNAMED = "(unnamed test case #%d)"


def version_of(python):
    try:
        out = subprocess.run([python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def resolve_python(spec):
    """python3, a path, or a pyenv version prefix ("3.12")."""
    if re.fullmatch(r"\d+\.\d+(\.\d+)?", spec):
        root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
        found = sorted(glob.glob(os.path.join(root, "versions", spec + "*", "bin", "python3")))
        if not found:
            sys.exit("no pyenv interpreter %s under %s" % (spec, root))
        return found[-1]
    path = shutil.which(spec) or spec
    if not os.access(path, os.X_OK):
        sys.exit("no interpreter %s" % spec)
    return os.path.realpath(path) if os.path.islink(path) and "shims" in path else path


def runtime_dir(pyrace):
    return os.environ.get("PYRACE_RUNTIME_DIR") or os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(pyrace))), "lib", "pyrace")


def has_runtime(pyrace, version):
    tag = "".join(version.split(".")[:2])
    return bool(glob.glob(os.path.join(runtime_dir(pyrace), "_pyrace.cpython-%s-*" % tag)))


def list_modules(python):
    out = subprocess.run([python, "-m", "test", "--list-tests"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True, check=True)
    # A package's submodules are listed as test.test_asyncio.test_tasks, the others as
    # test_thread: one spelling (the module is test.<name>).
    return [m[len("test."):] if m.startswith("test.") else m for m in out.stdout.split() if m.startswith("test")]


# --- one run --------------------------------------------------------------------


def command(mode, python, pyrace, module, junit, report, use, instrument, ignore=()):
    regrtest = ["-m", "test", "-v", "--junit-xml", junit]
    if use:
        regrtest += ["-u", use]
    for pattern in ignore:
        regrtest += ["-i", pattern]
    regrtest.append(module)
    if mode == "plain":
        return [python] + regrtest
    cmd = [pyrace, "run", "--python", python, "--format", "json", "--output", report]
    if mode == "locks":
        cmd.append("--detect=deadlocks")
    else:
        cmd += ["--instrument", instrument]
    return cmd + regrtest


def run(cmd, cwd, timeout, env=None):
    """(wall seconds, exit status, output, timed out). The whole process group goes
    on timeout: regrtest's own children, and pyrace's program under it."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, start_new_session=True, env=env)
    try:
        out, _ = p.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        timed_out = True
    return time.perf_counter() - t0, p.returncode, out.decode("utf-8", "replace"), timed_out


def parse_junit(path):
    """{test id: outcome}; a test case regrtest left without a result (subtests failed)
    is named by its position, which is the same in every mode. regrtest's name is the
    whole test id; pytest's is the function's, qualified by its classname."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    tests = {}
    for i, case in enumerate(root.iter("testcase")):
        name = case.get("name")
        if name is not None and case.get("classname"):
            name = case.get("classname") + "::" + name
        children = {c.tag: c for c in case}
        if name is None:
            tests[UNNAMED % i] = "incomplete"
            continue
        if "error" in children:
            outcome = "error"
        elif "failure" in children:
            outcome = "failed"
        elif "skipped" in children:
            outcome = "skipped"
        elif "output" in children:
            outcome = "expected-failure"
        elif "outcome" in children:
            outcome = "unexpected-success"
        else:
            outcome = "passed"
        # A test id may repeat (a class run twice by load_tests): keep every outcome.
        tests[name] = outcome if name not in tests else tests[name] + "," + outcome
    return tests


def findings_of(report):
    try:
        with open(report) as f:
            found = json.load(f).get("findings", [])
    except (OSError, ValueError):
        return None
    out = []
    for f in found:
        loc = (f.get("locations") or [{}])[0]
        out.append({"kind": f.get("kind", "?"), "file": loc.get("file", "?"), "line": loc.get("line"),
                    "function": loc.get("function", "?"), "count": f.get("count", 1),
                    "message": (f.get("message") or "").split("\n")[0][:300]})
    return out


def run_one(mode, python, version, pyrace, module, opts, logdir):
    work = tempfile.mkdtemp(prefix="pyrace-semantics-")
    try:
        junit = os.path.join(work, "junit.xml")
        report = os.path.join(work, "report.json")
        cmd = command(mode, python, pyrace, module, junit, report, opts.use, "test." + module,
                      ignored_tests(version, module)[0])
        wall, rc, out, timed_out = run(cmd, work, opts.timeout)
        tests = parse_junit(junit)
        findings = findings_of(report) if mode != "plain" else []
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with gzip.open(os.path.join(logdir, "%s.%s.log.gz" % (module, mode)), "wt") as f:
        f.write(" ".join(cmd) + "\n\n" + out)
    result = RESULT_RE.findall(out)
    skipped = [m.group(2) for m in SKIPPED_RE.finditer(out) if m.group(1) == module]
    crash = CRASH_RE.findall(out)
    if timed_out:
        status = "timeout"
    elif crash or rc < 0:
        status = "crashed"
    elif skipped:
        status = "skipped"
    elif result:
        status = result[-1].strip().lower()
    else:
        status = "no-result"
    return {
        "module": module, "mode": mode, "python": version, "command": cmd,
        "status": status, "reason": skipped[0] if skipped else (crash[0] if crash else None),
        "exit": rc, "wall": round(wall, 3), "tests": tests if tests is not None else {},
        "findings": findings,
    }


# --- comparing --------------------------------------------------------------------


def load_allowed(path):
    """The allow-list table of docs/semantics.md: (python minor or *, module, test or *,
    mode) -> root cause."""
    allowed = {}
    try:
        text = open(path).read()
    except OSError:
        return allowed
    m = re.search(r"^## Allowed differences\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    if not m:
        return allowed
    for line in m.group(1).splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in ("python", "") or set(cells[0]) <= set("-: "):
            continue
        allowed[(cells[0], cells[1], cells[2], cells[3])] = cells[4]
    return allowed


def allowed_cause(allowed, version, module, test, mode):
    """An entry for the module or its package (test_inspect covers the submodule
    test_inspect.test_inspect that --modules all runs)."""
    minor = ".".join(version.split(".")[:2])
    parts = module.split(".")
    for name in (".".join(parts[:i]) for i in range(len(parts), 0, -1)):
        for py in (minor, "*"):
            for t in (test, "*"):
                cause = allowed.get((py, name, t, mode))
                if cause:
                    return cause
    return None


def compare(results, version, allowed):
    """Per mode: the differing tests, the allowed ones apart, and the module verdict."""
    plain = results["plain"]
    verdict = {"diffs": {}, "allowed": {}, "same": True}
    for mode in MODES[1:]:
        r = results.get(mode)
        if r is None:
            continue
        diffs, ok = [], []
        if r["status"] != plain["status"] or r.get("reason") != plain.get("reason"):
            diffs.append(("(module)", "%s%s" % (plain["status"], " (%s)" % plain["reason"] if plain["reason"] else ""),
                          "%s%s" % (r["status"], " (%s)" % r["reason"] if r["reason"] else "")))
        for t in sorted(set(plain["tests"]) | set(r["tests"])):
            a, b = plain["tests"].get(t, "-"), r["tests"].get(t, "-")
            if a != b:
                diffs.append((t, a, b))
        for d in diffs:
            cause = allowed_cause(allowed, version, plain["module"], d[0], mode)
            (ok if cause else verdict["diffs"].setdefault(mode, [])).append(d + ((cause,) if cause else ()))
        if ok:
            verdict["allowed"][mode] = ok
        if mode in verdict["diffs"]:
            verdict["same"] = False
        # Entries of the allow-list that this run no longer needs: the cause was fixed.
        minor = ".".join(version.split(".")[:2])
        seen = {d[0] for d in ok}
        for (py, module, test, m), cause in sorted(allowed.items()):
            if m == mode and (plain["module"] + ".").startswith(module + ".") and py in (minor, "*") and (
                    test not in seen and not (test == "*" and ok)):
                verdict.setdefault("stale", []).append((mode, test, cause))
    return verdict


def outcome_text(r):
    if r is None:
        return "-"
    counts = collections.Counter(o for v in r["tests"].values() for o in v.split(","))
    short = {"passed": "ok", "failed": "F", "error": "E", "skipped": "s", "expected-failure": "xf",
             "unexpected-success": "us", "incomplete": "inc"}
    parts = ["%s %d" % (short.get(k, k), n) for k, n in sorted(counts.items()) if k != "passed"]
    head = r["status"]
    return "%s (%d%s)" % (head, counts.get("passed", 0), ", " + ", ".join(parts) if parts else "")


def kinds_text(findings):
    if findings is None:
        return "no report"
    kinds = collections.Counter(f["kind"] for f in findings)
    return ", ".join("%s %d" % kv for kv in sorted(kinds.items())) or "0"


outdirs = {}  # version -> its results directory


def table(version, per_module, allowed, show_findings):
    lines = ["# CPython %s's test package under pyrace" % version, "",
             "| module | plain | locks | races | per-test | plain s | locks x | races x | findings locks | findings races |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    ratios = {m: [] for m in MODES[1:]}
    differing, crashed, skipped, notes = [], [], [], []
    for module in sorted(per_module):
        results = per_module[module]
        plain = results.get("plain")
        if plain is None:
            continue
        v = compare(results, version, allowed)
        cells = [module] + [outcome_text(results.get(m)) for m in MODES]
        cells.append("identical" if v["same"] else "DIFFERENT")
        if v["allowed"] and v["same"]:
            cells[-1] = "identical but allowed"
        cells.append("%.1f" % plain["wall"])
        for mode in MODES[1:]:
            r = results.get(mode)
            if r is None or not plain["wall"]:
                cells.append("-")
                continue
            ratio = r["wall"] / plain["wall"]
            cells.append("%.2f" % ratio)
            if plain["status"] not in ("skipped", "crashed", "timeout") and plain["tests"]:
                ratios[mode].append((ratio, module, plain["wall"]))
        for mode in MODES[1:]:
            r = results.get(mode)
            cells.append(kinds_text(r["findings"]) if r is not None and r["status"] != "skipped" else "-")
        lines.append("| " + " | ".join(cells) + " |")
        if plain["status"] == "skipped":
            skipped.append((module, plain["reason"]))
        for mode in MODES:
            r = results.get(mode)
            if r is not None and r["status"] in ("crashed", "timeout"):
                crashed.append((module, mode, r["status"], r.get("reason")))
        if not v["same"]:
            differing.append((module, v["diffs"]))
        if v["allowed"]:
            notes.append((module, {mode: [(d[0], "plain %s," % d[1], "%s %s" % (mode, d[2]), d[3]) for d in ds]
                                   for mode, ds in v["allowed"].items()}))
        try:
            with open(os.path.join(outdirs[version], "%s.flaky.json" % module)) as f:
                first = json.load(f)
        except (OSError, ValueError):
            first = {}
        if v["same"] and first:
            notes.append((module, {m: [(d[0], "plain %s," % d[1], "%s %s" % (m, d[2]),
                                        "differed once, identical when run again (flaky)")
                                       for d in ds] for m, ds in first.items()}))
        for mode, test, cause in v.get("stale", []):
            notes.append((module, {mode: [(test, "allowed to differ but identical now", "", cause)]}))
        if show_findings:
            for mode in MODES[1:]:
                r = results.get(mode)
                for f in (r or {}).get("findings") or []:
                    notes.append((module, {mode: [("finding", f["kind"], "%s:%s %s (x%s): %s" % (
                        re.sub(r".*/(test/)", r"\1", f["file"]), f["line"], f["function"], f["count"],
                        f["message"][:160]))]}))
    lines += ["", "## Summary", ""]
    compared = sum(1 for m in per_module.values() if m.get("plain"))
    lines.append("- modules: %d run, %d identical in every mode, %d different, %d not runnable here" % (
        compared, compared - len(differing), len(differing), len(skipped)))
    for mode in MODES[1:]:
        rs = sorted(ratios[mode])
        if not rs:
            continue
        big = [r for r in rs if r[2] >= 2.0]
        worst = rs[-1]
        line = "- %s time ratio: median %.2fx, worst %.2fx (%s) over %d modules" % (
            mode, statistics.median(r[0] for r in rs), worst[0], worst[1], len(rs))
        if big:
            line += "; modules of 2 s or more plainly: median %.2fx, worst %.2fx (%s) over %d" % (
                statistics.median(r[0] for r in big), big[-1][0], big[-1][1], len(big))
        lines.append(line)
    if crashed:
        lines += ["", "## Crashes and timeouts", ""]
        lines += ["- %s %s: %s%s" % (m, mode, st, " -- " + why if why else "") for m, mode, st, why in crashed]
    if differing:
        lines += ["", "## Differences", ""]
        for module, diffs in differing:
            for mode, ds in sorted(diffs.items()):
                for d in ds:
                    lines.append("- %s [%s] %s: plain %s, %s %s" % (module, mode, d[0], d[1], mode, d[2]))
    if notes:
        lines += ["", "## Allowed differences and findings", ""]
        for module, by_mode in notes:
            for mode, ds in sorted(by_mode.items()):
                for d in ds:
                    lines.append("- %s [%s] %s: %s %s%s" % (module, mode, d[0], d[1], d[2],
                                                           " -- " + d[3] if len(d) > 3 else ""))
    if skipped:
        lines += ["", "## Not runnable here (identical in every mode unless listed above)", ""]
        lines += ["- %s: %s" % s for s in skipped]
    partly = [(m, ignored_tests(version, m)) for m in sorted(per_module) if ignored_tests(version, m)[0]]
    if partly:
        lines += ["", "## Tests left out in every mode", ""]
        lines += ["- %s: `%s`, %s" % (m, " ".join(patterns), why) for m, (patterns, why) in partly]
    return "\n".join(lines) + "\n", not differing and not crashed


# --- driver -----------------------------------------------------------------------


def crashed_under_pyrace(results):
    """A crash or hang in a pyrace mode that the plain run did not have: pyrace's own
    bug, never excused by a clean second run."""
    plain = results.get("plain") or {}
    bad = ("crashed", "timeout")
    return plain.get("status") not in bad and any(
        (results.get(m) or {}).get("status") in bad for m in MODES[1:])


def result_path(outdir, module, mode):
    return os.path.join(outdir, "%s.%s.json" % (module, mode))


def load(outdir, module):
    results = {}
    for mode in MODES:
        try:
            with open(result_path(outdir, module, mode)) as f:
                results[mode] = json.load(f)
        except (OSError, ValueError):
            pass
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pyrace", default=os.path.join(REPO, "build", "bin", "pyrace"))
    ap.add_argument("--python", action="append",
                    help="interpreter: python3, a path or a pyenv version such as 3.12 (repeatable)")
    ap.add_argument("--modules", default="ci", help="comma-separated modules, `ci` or `all` (default ci)")
    ap.add_argument("--skip", default="", help="comma-separated modules left out")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--jobs", type=int, default=2, help="modules run at once (default 2)")
    ap.add_argument("--results", default=os.path.join(REPO, "build", "semantics"),
                    help="results directory (default build/semantics)")
    ap.add_argument("--use", default="", help="regrtest -u resources, the same for every mode")
    ap.add_argument("--timeout", type=float, default=1200, help="seconds per run (default 1200)")
    ap.add_argument("--fresh", action="store_true", help="run again what the results directory has")
    ap.add_argument("--retries", type=int, default=1,
                    help="times a module whose outcomes differ runs again in every mode (default 1)")
    ap.add_argument("--table", action="store_true", help="only write the table of what was run")
    ap.add_argument("--findings", action="store_true", help="list every finding in the table")
    ap.add_argument("--list", action="store_true", help="print the modules --modules selects, one a line")
    opts = ap.parse_args()
    if opts.list and opts.modules == "ci":
        print("\n".join(CI_MODULES))
        return 0

    modes = [m for m in opts.modes.split(",") if m]
    if any(m not in MODES for m in modes) or "plain" not in modes:
        ap.error("--modes: plain and any of locks, races")
    if not opts.table and not os.access(opts.pyrace, os.X_OK):
        ap.error("no pyrace binary at %s (use --pyrace)" % opts.pyrace)
    # A shell starts background jobs with SIGINT ignored, and exec keeps an ignored
    # signal ignored: _thread.interrupt_main() then does nothing and test_threading's
    # InterruptMainTests fail in every mode. A handled signal is reset to the default
    # in the children, so every run sees the usual SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    allowed = load_allowed(SEMANTICS_DOC)

    all_ok = True
    for spec in opts.python or ["python3"]:
        python = resolve_python(spec)
        version = version_of(python)
        if version is None:
            sys.exit("cannot run %s" % python)
        if not opts.table and not has_runtime(opts.pyrace, version):
            sys.exit("no pyrace runtime for Python %s in %s" % (version, runtime_dir(opts.pyrace)))
        outdir = os.path.join(opts.results, "py" + version)
        outdirs[version] = outdir
        logdir = os.path.join(outdir, "logs")
        os.makedirs(logdir, exist_ok=True)
        if opts.modules == "all":
            modules = list_modules(python)
        elif opts.modules == "ci":
            modules = list(CI_MODULES)
        else:
            modules = [m for m in opts.modules.split(",") if m]
        skip = set(opts.skip.split(","))
        modules = [m for m in modules if m not in skip]
        if opts.list:
            print("\n".join(modules))
            continue

        lock = threading.Lock()

        def one_module(module):
            for attempt in range(1 + max(0, opts.retries)):
                for mode in modes:
                    path = result_path(outdir, module, mode)
                    if os.path.exists(path) and not opts.fresh and attempt == 0:
                        continue
                    if attempt == 0:  # an older run's record of a flaky difference
                        try:
                            os.remove(os.path.join(outdir, "%s.flaky.json" % module))
                        except OSError:
                            pass
                    r = run_one(mode, python, version, opts.pyrace, module, opts, logdir)
                    with open(path + ".tmp", "w") as f:
                        json.dump(r, f, indent=1, sort_keys=True)
                    os.replace(path + ".tmp", path)
                results = load(outdir, module)
                v = compare(results, version, allowed) if "plain" in results else {"same": False}
                if v["same"] or attempt == opts.retries or "diffs" not in v or crashed_under_pyrace(results):
                    break
                # Once more, every mode: a test whose outcome changes from run to run
                # (plainly too) is flaky, not changed by pyrace. The first differences
                # stay on record next to the results.
                with open(os.path.join(outdir, "%s.flaky.json" % module), "w") as f:
                    json.dump(v["diffs"], f, indent=1)
                for mode in modes:
                    log = os.path.join(logdir, "%s.%s.log.gz" % (module, mode))
                    if os.path.exists(log):
                        os.replace(log, log.replace(".log.gz", ".first.log.gz"))
                with lock:
                    print("%-40s differs, running it again" % module, flush=True)
            if not v["same"]:
                # Different every time: not flaky. A record left would list these
                # differences again as flaky once the allow-list names their cause.
                try:
                    os.remove(os.path.join(outdir, "%s.flaky.json" % module))
                except OSError:
                    pass
            with lock:
                print("%-40s %s  %s" % (module, "  ".join(
                    "%s %s %.1fs" % (m, results[m]["status"], results[m]["wall"]) for m in modes if m in results),
                    "identical" if v["same"] else "DIFFERENT"), flush=True)

        if not opts.table:
            print("Python %s (%s): %d modules, results in %s" % (version, python, len(modules), outdir), flush=True)
            with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
                for fut in [pool.submit(one_module, m) for m in modules]:
                    fut.result()
        per_module = {m: load(outdir, m) for m in modules} if not opts.table else {
            os.path.basename(p).split(".plain.json")[0]: None for p in glob.glob(os.path.join(outdir, "*.plain.json"))}
        per_module = {m: (r if r is not None else load(outdir, m)) for m, r in per_module.items()}
        text, ok = table(version, per_module, allowed, opts.findings)
        with open(os.path.join(outdir, "table.md"), "w") as f:
            f.write(text)
        print(text)
        all_ok &= ok
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
