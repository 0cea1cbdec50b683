#!/usr/bin/env python3
"""SARIF of run-time findings, from `pyrace run` and from `pyrace replay`, must be valid
under Microsoft's SARIF validator (npm @microsoft/sarif-multitool, the one the lint's
SARIF is checked with), and carry what code scanning shows: each result's other
access or acquisition as relatedLocations, and the stacks; under pytest, the test each
result (and each stack) was found in, in its property bag."""
import argparse
import json
import os
import shutil
import stat
import subprocess
import sys

# (program, kinds it must report): one of each run-time kind that involves a second site.
PROGRAMS = [
    ("runtime/named_locks_cycle.py", {"lock-order-inversion"}),
    ("runtime/seed_early_return_deadlock.py", {"missed-release", "deadlock"}),
    ("runtime/bad_release_rlock_not_owner.py", {"bad-release"}),
    ("races/counter_unlocked.py", {"data-race"}),
]
# (pytest suite, test file, the test each kind's results belong to); under Debian's
# python3, which has pytest (python3-pytest, scripts/setup.sh).
PYTEST_SUITE = ("runtime/pytest_suite", "test_pool.py",
                {"lock-order-inversion": "test_pool.py::test_inversion",
                 "missed-release": "test_pool.py::test_leaves_worker"})


def validate(tool, sarif, work):
    """Problems the validator found in one log, or with running it: a validation that did
    not run to its end has checked nothing."""
    report = os.path.join(work, os.path.basename(sarif) + ".validation")
    if os.path.exists(report):
        os.remove(report)
    env = dict(os.environ, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT="1", DOTNET_CLI_TELEMETRY_OPTOUT="1")
    v = subprocess.run([tool, "validate", sarif, "--output", report], capture_output=True, text=True, env=env,
                       timeout=300)
    if v.returncode != 0 or not os.path.exists(report):
        return [f"the validator exited {v.returncode}: {(v.stdout + v.stderr)[-2000:]}"]
    with open(report, encoding="utf-8") as fh:
        vlog = json.load(fh)
    run = vlog["runs"][0]
    invocations = run.get("invocations", [])
    if not invocations or not all(i.get("executionSuccessful") is True for i in invocations):
        return [f"the validator did not run to its end: {json.dumps(invocations)[:2000]}"]
    problems = []
    for i in invocations:
        for n in i.get("toolExecutionNotifications", []) + i.get("toolConfigurationNotifications", []):
            if n.get("level", "warning") == "error":
                problems.append(f"validator notification: {n.get('message', {}).get('text', n)}")
    for x in run.get("results", []):
        if x.get("level", "warning") == "error":
            problems.append(f"VALIDATOR ERROR {x.get('ruleId')}: {x['message'].get('text', x['message'])}")
    return problems


def check_tests(path, want):
    """Each result names the test it was found in; a stack that names one names its own."""
    problems = []
    with open(path, encoding="utf-8") as fh:
        results = json.load(fh)["runs"][0]["results"]
    seen = {r["ruleId"] for r in results}
    if set(want) != seen:
        problems.append(f"{path}: expected {sorted(want)}, got {sorted(seen)}")
    for r in results:
        test = r.get("properties", {}).get("test")
        if test != want.get(r["ruleId"]):
            problems.append(f"{path}: {r['ruleId']} names test {test!r}, expected {want.get(r['ruleId'])!r}")
        stack_tests = [s["properties"]["test"] for s in r.get("stacks", []) if "test" in s.get("properties", {})]
        if len(stack_tests) < 2 or set(stack_tests) != {test}:
            problems.append(f"{path}: {r['ruleId']} stacks name tests {stack_tests}")
    return problems


def check_log(path, kinds):
    """Problems with the content code scanning relies on."""
    problems = []
    with open(path, encoding="utf-8") as fh:
        results = json.load(fh)["runs"][0]["results"]
    seen = {r["ruleId"] for r in results}
    if not kinds <= seen:
        problems.append(f"{path}: expected {sorted(kinds)}, got {sorted(seen)}")
    for r in results:
        related = r.get("relatedLocations", [])
        if not related:
            problems.append(f"{path}: {r['ruleId']} has no relatedLocations")
        ids = [x["id"] for x in related]
        if len(ids) != len(set(ids)):
            problems.append(f"{path}: relatedLocations ids repeat: {ids}")
        if any(not x.get("message", {}).get("text") for x in related):
            problems.append(f"{path}: a related location without a message")
        if not r.get("stacks"):
            problems.append(f"{path}: {r['ruleId']} has no stacks")
    # The other acquisition of an inversion: every edge's outer acquire is a related line.
    for r in results:
        if r["ruleId"] == "lock-order-inversion":
            texts = " ".join(x["message"]["text"] for x in r["relatedLocations"])
            if "was acquired here" not in texts:
                problems.append(f"{path}: the inversion's other acquisitions are not related: {texts}")
        if r["ruleId"] == "data-race":
            texts = " ".join(x["message"]["text"] for x in r["relatedLocations"])
            if "Previous" not in texts and "previous" not in texts:
                problems.append(f"{path}: the race's other access is not related: {texts}")
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--validator", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    if not os.path.exists(a.validator):
        print("FAIL: SARIF validator not installed (run scripts/setup.sh):", a.validator)
        return 1
    # npm installs the .NET single-file validator without its execute bit.
    tool = os.path.join(a.work, "Sarif.Multitool")
    shutil.copy2(a.validator, tool)
    os.chmod(tool, os.stat(tool).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)

    problems = []
    for i, (program, kinds) in enumerate(PROGRAMS):
        prog = os.path.join(a.data, program)
        live = os.path.join(a.work, f"run{i}.sarif")
        trace = os.path.join(a.work, f"run{i}.pyrt")
        replayed = os.path.join(a.work, f"replay{i}.sarif")
        r = subprocess.run([a.bin, "record", "-o", trace, "--format", "sarif", "--output", live, prog],
                           capture_output=True, text=True, cwd=a.work, timeout=300)
        if r.returncode != 66:
            problems.append(f"{program}: record exited {r.returncode}: {r.stderr[-2000:]}")
            continue
        r = subprocess.run([a.bin, "replay", trace, "--format", "sarif", "--output", replayed],
                           capture_output=True, text=True, cwd=a.work, timeout=300)
        if r.returncode != 1:
            problems.append(f"{program}: replay exited {r.returncode}: {r.stderr[-2000:]}")
            continue
        for log in (live, replayed):
            problems += check_log(log, kinds)
            problems += [f"{log}: {p}" for p in validate(tool, log, a.work)]

    suite, test_file, want = PYTEST_SUITE
    live = os.path.join(a.work, "pytest.sarif")
    trace = os.path.join(a.work, "pytest.pyrt")
    replayed = os.path.join(a.work, "pytest-replay.sarif")
    r = subprocess.run([a.bin, "record", "-o", trace, "--python", "/usr/bin/python3", "--format", "sarif",
                        "--output", live, "-m", "pytest", "-q", "-p", "no:cacheprovider", test_file],
                       capture_output=True, text=True, cwd=os.path.join(a.data, suite), timeout=300)
    if r.returncode != 66:
        problems.append(f"{suite}: record exited {r.returncode}: {r.stdout[-1000:]} {r.stderr[-2000:]}")
    else:
        r = subprocess.run([a.bin, "replay", trace, "--format", "sarif", "--output", replayed],
                           capture_output=True, text=True, cwd=a.work, timeout=300)
        if r.returncode != 1:
            problems.append(f"{suite}: replay exited {r.returncode}: {r.stderr[-2000:]}")
        else:
            for log in (live, replayed):
                problems += check_tests(log, want)
                problems += [f"{log}: {p}" for p in validate(tool, log, a.work)]
    for p in problems:
        print("FAIL:", p)
    print("PASS" if not problems else "FAIL", f"({2 * len(PROGRAMS) + 2} logs)")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
