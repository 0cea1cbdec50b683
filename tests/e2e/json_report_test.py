#!/usr/bin/env python3
"""The JSON report carries what the HTML report draws, and names locks as the linter does.

- A lock-order cycle (testdata/runtime/named_locks_cycle.py), from `pyrace record` and
  from `pyrace replay` of its trace: the graph's lock nodes (id, the program's name,
  creation site), one edge per "acquired while holding" (from, to, thread, the inner and
  the outer acquire's lines), and the holds of the cycle's locks by thread.
- `pyrace lint --format json` over the same program names the cycle's locks exactly as
  `run` does.
- A deadlock (testdata/runtime/deadlock_abba_hang.py): the wait-for graph, each thread
  waiting for a lock the other holds, the holds still open.
"""
import argparse
import json
import os
import re
import subprocess
import sys

CYCLE = "runtime/named_locks_cycle.py"
CYCLE_LOCKS = {"PooledDatabase._pool_lock", "named_locks_cycle.DOWNLOADER_LOCK", "Account.lock"}
# (outer acquire line, inner acquire line) of each "acquired while holding", from the program.
CYCLE_EDGES = {(30, 31), (36, 37), (42, 43)}
DEADLOCK = "runtime/deadlock_abba_hang.py"


def only(findings, kind, where):
    got = [f for f in findings if f["kind"] == kind]
    if len(got) != 1:
        raise AssertionError(f"{where}: {len(got)} {kind} findings, expected 1: {[f['message'] for f in findings]}")
    return got[0]


def check_cycle(f, where):
    problems = []
    g = f.get("graph")
    if g is None:
        return [f"{where}: no graph"]
    nodes = {n["id"]: n for n in g["nodes"]}
    names = {n["name"] for n in g["nodes"]}
    if names != CYCLE_LOCKS or any(n["kind"] != "lock" for n in g["nodes"]):
        problems.append(f"{where}: graph nodes {g['nodes']}")
    for n in g["nodes"]:
        if not re.fullmatch(r"L\d+", n["id"]) or not n.get("created", {}).get("file", "").endswith("named_locks_cycle.py"):
            problems.append(f"{where}: node {n}")
    edges = set()
    for e in g["edges"]:
        if e["from"] not in nodes or e["to"] not in nodes or not e["on_cycle"]:
            problems.append(f"{where}: edge {e}")
        if not re.fullmatch(r"T\d+ \(Thread-\d+.*\)", e.get("thread", "")):
            problems.append(f"{where}: edge thread {e.get('thread')}")
        edges.add((e.get("held_site", {}).get("line"), e["site"]["line"]))
        # The edge's stack is the section showing the inner acquire.
        s = f["stacks"][e["stack"]]
        if s["frames"][0]["line"] != e["site"]["line"] and not any(fr["line"] == e["site"]["line"] for fr in s["frames"]):
            problems.append(f"{where}: edge {e} points at stack {s['title']}")
    if edges != CYCLE_EDGES:
        problems.append(f"{where}: edges (outer line, inner line) {sorted(edges)}, expected {sorted(CYCLE_EDGES)}")
    # The threads run one after another: each lock is held, closed, by the threads of its edges.
    holds = f.get("holds", [])
    held = {h["lock_id"] for h in holds}
    if held != set(nodes):
        problems.append(f"{where}: holds of {sorted(held)}, expected every node {sorted(nodes)}")
    for h in holds:
        if h["begin_us"] > h["end_us"] or h["open"] or not re.fullmatch(r"T\d+", h["thread_id"]):
            problems.append(f"{where}: hold {h}")
    if [h["begin_us"] for h in holds] != sorted(h["begin_us"] for h in holds):
        problems.append(f"{where}: holds not by begin time")
    return problems


def check_deadlock(f, where):
    problems = []
    g = f.get("graph")
    if g is None:
        return [f"{where}: no graph"]
    nodes = {n["id"]: n for n in g["nodes"]}
    locks = {n["name"] for n in g["nodes"] if n["kind"] == "lock"}
    threads = sorted(n["name"] for n in g["nodes"] if n["kind"] == "thread")
    if locks != {"deadlock_abba_hang.A", "deadlock_abba_hang.B"} or threads != [
            "MainThread", "Thread-1 (take_both)", "Thread-2 (take_both)"]:
        problems.append(f"{where}: graph nodes {g['nodes']}")
    # The cycle: each worker waits at line 15 for the lock the other took at line 13; off
    # it, the main thread joins a worker at line 23.
    cycle = [e for e in g["edges"] if e["on_cycle"]]
    waits = [e for e in cycle if nodes[e["from"]]["kind"] == "thread"]
    helds = [e for e in cycle if nodes[e["from"]]["kind"] == "lock"]
    joins = [e for e in g["edges"] if not e["on_cycle"]]
    if len(waits) != 2 or len(helds) != 2 or len(joins) != 1:
        problems.append(f"{where}: edges {g['edges']}")
    if {e["site"]["line"] for e in waits} != {15} or {e["site"]["line"] for e in helds} != {13}:
        problems.append(f"{where}: wait lines {[e['site'] for e in waits]}, held lines {[e['site'] for e in helds]}")
    for e in joins:
        if nodes[e["from"]]["name"] != "MainThread" or nodes[e["to"]]["kind"] != "thread" or e["site"]["line"] != 23:
            problems.append(f"{where}: join edge {e}")
    # A lock edge leads to its holder, a thread edge to the lock it waits for.
    for e in waits:
        if nodes[e["to"]]["kind"] != "lock":
            problems.append(f"{where}: wait edge {e}")
    for e in helds:
        if nodes[e["to"]]["kind"] != "thread":
            problems.append(f"{where}: held edge {e}")
    open_holds = {h["lock_id"] for h in f.get("holds", []) if h["open"]}
    if open_holds != {n["id"] for n in g["nodes"] if n["kind"] == "lock"}:
        problems.append(f"{where}: open holds {f.get('holds')}")
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--data", required=True, help="testdata")
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    problems = []

    prog = os.path.join(a.data, CYCLE)
    live = os.path.join(a.work, "cycle.json")
    replayed = os.path.join(a.work, "cycle-replay.json")
    trace = os.path.join(a.work, "cycle.pyrt")
    r = subprocess.run([a.bin, "record", "-o", trace, "--format", "json", "--output", live, prog],
                       capture_output=True, text=True, cwd=a.work, timeout=240)
    if r.returncode != 66:
        problems.append(f"record exited {r.returncode}: {r.stderr[-2000:]}")
    r = subprocess.run([a.bin, "replay", trace, "--format", "json", "--output", replayed],
                       capture_output=True, text=True, cwd=a.work, timeout=240)
    if r.returncode != 1:  # replay's exit code for findings (docs/usage.md)
        problems.append(f"replay exited {r.returncode}: {r.stderr[-2000:]}")
    run_names = None
    for path, where in ((live, "record"), (replayed, "replay")):
        if problems:
            break
        with open(path, encoding="utf-8") as fh:
            f = only(json.load(fh)["findings"], "lock-order-inversion", where)
        problems += check_cycle(f, where)
        run_names = {n["name"] for n in f.get("graph", {}).get("nodes", [])}

    r = subprocess.run([a.bin, "lint", "--format", "json", prog], capture_output=True, text=True,
                       cwd=a.work, timeout=120)
    if r.returncode != 1:
        problems.append(f"lint exited {r.returncode}: {r.stdout[-1000:]} {r.stderr[-1000:]}")
    else:
        f = only(json.loads(r.stdout)["findings"], "lock-order-inversion", "lint")
        lint_names = set(re.findall(r"'([^']+)'", f["message"]))
        if lint_names != CYCLE_LOCKS or (run_names is not None and lint_names != run_names):
            problems.append(f"lint names {sorted(lint_names)}, run names {sorted(run_names or [])}")

    report = os.path.join(a.work, "deadlock.json")
    r = subprocess.run([a.bin, "run", "--format", "json", "--output", report, os.path.join(a.data, DEADLOCK)],
                       capture_output=True, text=True, cwd=a.work, timeout=240)
    if r.returncode != 66:
        problems.append(f"deadlock run exited {r.returncode}: {r.stderr[-2000:]}")
    else:
        with open(report, encoding="utf-8") as fh:
            problems += check_deadlock(only(json.load(fh)["findings"], "deadlock", "deadlock"), "deadlock")

    for p in problems:
        print("FAIL:", p)
    print("FAIL" if problems else "PASS")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
