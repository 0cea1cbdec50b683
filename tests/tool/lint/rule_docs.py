#!/usr/bin/env python3
"""The rule doc pages docs/lint/rules/CODE.md against the rules' own definitions.

Each page starts with a block generated from its rule (`pyrace-lint --list-rules --format
json`: code, name, kind, severity, whether it is on by default, summary and description),
up to the marker line below; the hand-written sections (what it does, examples,
lookalikes) follow it. The rule's text is the single source: this test fails when a page
is missing, or when its generated block differs from what the rule says now. With
--update the blocks are rewritten (and missing pages created) instead.
"""
import argparse
import json
import os
import subprocess
import sys

MARKER = "<!-- generated from the rule definition above this line: tests/tool/lint/rule_docs.py --update -->"


def header(rule):
    fixture = (f"`testdata/lint/{rule['code']}.py`" if rule["code"].startswith("PYR")
               else "`testdata/cext/` (see docs/cext.md)")
    default = "on by default" if rule["on_by_default"] else "off by default (select it to run it)"
    return (f"# {rule['code']} {rule['name']}\n\n"
            f"Kind: `{rule['kind']}` · default severity: {rule['severity']} · {default} · fixture: {fixture}\n\n"
            f"**{rule['summary']}.**\n\n"
            f"## Why is this bad?\n\n{rule['description']}\n\n{MARKER}\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--docs", required=True, help="docs/lint/rules")
    ap.add_argument("--update", action="store_true")
    a = ap.parse_args()
    rules = json.loads(subprocess.run([a.bin, "--list-rules", "--format", "json"], capture_output=True,
                                      text=True, check=True).stdout)
    failures = []
    codes = {r["code"] for r in rules}
    for r in rules:
        path = os.path.join(a.docs, r["code"] + ".md")
        want = header(r)
        text = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if text is None or MARKER not in text:
            rest = ""
        else:
            rest = text.split(MARKER + "\n", 1)[1] if MARKER + "\n" in text else ""
        if text is not None and text.startswith(want):
            continue
        if a.update:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(want + ("\n" + rest.lstrip("\n") if rest.strip() else ""))
            print("updated", path)
        else:
            failures.append(f"{path}: missing" if text is None else f"{path}: differs from rule {r['code']}")
    for f in sorted(os.listdir(a.docs)):
        if f.endswith(".md") and f[:-3] not in codes:
            failures.append(f"{f}: no rule {f[:-3]} in the registry")
    for f in failures:
        print("FAIL:", f)
    print(f"{len(rules)} rules, {len(failures)} pages out of date")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
