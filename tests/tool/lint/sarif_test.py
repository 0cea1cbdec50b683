#!/usr/bin/env python3
"""SARIF output of every lint fixture must be valid under Microsoft's SARIF validator
(npm @microsoft/sarif-multitool, `validate`): no errors. Also checks the parts code
scanning relies on: rule metadata, partialFingerprints, relatedLocations."""
import argparse
import json
import os
import shutil
import stat
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--validator", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    out = os.path.join(a.work, "fixtures.sarif")
    paths = sorted(p for p in os.listdir(a.data) if p.endswith(".py")) + ["PYR004_project"]
    r = subprocess.run([a.bin, "--format", "sarif", "--no-gitignore", "-o", out] + paths, cwd=a.data,
                       capture_output=True, text=True)
    if r.returncode != 1:
        print("FAIL: lint exited", r.returncode, r.stderr)
        return 1
    with open(out, encoding="utf-8") as fh:
        log = json.load(fh)
    ok = True
    run = log["runs"][0]
    rules = {x["id"]: x for x in run["tool"]["driver"]["rules"]}
    for code in [f"PYR00{i}" for i in range(10)]:
        rule = rules.get(code)
        if not rule or not all(k in rule for k in ("name", "shortDescription", "fullDescription", "help")):
            print("FAIL: rule metadata missing for", code)
            ok = False
    results = run["results"]
    if not results or not all("partialFingerprints" in x for x in results):
        print("FAIL: results without partialFingerprints")
        ok = False
    inversions = [x for x in results if x["ruleId"] == "PYR004"]
    if not inversions or not all(x.get("relatedLocations") for x in inversions):
        print("FAIL: PYR004 results need relatedLocations (the other side of the inversion)")
        ok = False

    # The validator ships as a .NET single-file executable; npm installs it without the
    # execute bit (scripts are not run), so run a private executable copy.
    tool = os.path.join(a.work, "Sarif.Multitool")
    if not os.path.exists(a.validator):
        print("FAIL: SARIF validator not installed (run scripts/setup.sh):", a.validator)
        return 1
    shutil.copy2(a.validator, tool)
    os.chmod(tool, os.stat(tool).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    report = os.path.join(a.work, "validation.sarif")
    env = dict(os.environ, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT="1", DOTNET_CLI_TELEMETRY_OPTOUT="1")
    if os.path.exists(report):
        os.remove(report)
    v = subprocess.run([tool, "validate", out, "--output", report], capture_output=True, text=True,
                       env=env)
    print(v.stdout[-3000:])
    with open(report, encoding="utf-8") as fh:
        vlog = json.load(fh)
    errors = [x for x in vlog["runs"][0].get("results", []) if x.get("level", "warning") == "error"]
    for e in errors:
        print("VALIDATOR ERROR:", e.get("ruleId"), e["message"].get("text", e["message"]))
    if errors:
        ok = False
    warnings = [x for x in vlog["runs"][0].get("results", []) if x.get("level", "warning") == "warning"]
    print(f"validator: {len(errors)} errors, {len(warnings)} warnings over {len(results)} results")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
