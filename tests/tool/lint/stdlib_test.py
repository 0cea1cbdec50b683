#!/usr/bin/env python3
"""Lints the whole standard library of the default interpreter (lib/python3.X without
site-packages, its test/ package included): no crash, every file CPython compiles is
parsed (no PYR000 on it), and the findings counted by rule. Wall time and peak RSS are
printed for information (the benchmark in bench/lint asserts nothing either)."""
import argparse
import collections
import json
import os
import resource
import subprocess
import sys
import sysconfig
import time
import warnings


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    a = ap.parse_args()
    stdlib = sysconfig.get_paths()["stdlib"]
    start = time.monotonic()
    # C sources under the stdlib are test data for other tools; this test is about Python.
    r = subprocess.run([a.bin, stdlib, "--exclude", "*.c", "--exclude", "*.cpp", "--format", "json"], capture_output=True, text=True)
    wall = time.monotonic() - start
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if r.returncode not in (0, 1):
        print("FAIL: exit code", r.returncode, r.stderr[-2000:])
        return 1
    report = json.loads(r.stdout)
    findings = report["findings"]
    counts = collections.Counter(f["rule"] for f in findings)
    print(f"{stdlib}: {report['files']} files, {len(findings)} findings, {wall:.2f} s wall, {rss:.0f} MiB peak RSS")
    for rule, n in sorted(counts.items()):
        print(f"  {rule}: {n}")
    ok = report["files"] > 1000
    for f in findings:
        if f["rule"] != "PYR000":
            continue
        path = f["locations"][0]["file"]
        with open(path, "rb") as fh:
            src = fh.read()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(src, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            print(f"  PYR000 on {os.path.relpath(path, stdlib)} (CPython rejects it too)")
            continue
        print(f"FAIL: PYR000 on {path} which CPython compiles: {f['message']}")
        ok = False
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
