"""RecursionError comes at the same depth, plainly and rewritten: the hooks add no
Python frame, and recursing through them never overflows the C stack.

Depths are printed relative to the depth a bare recursion reaches in the same run:
`pyrace run` starts the program one bootstrap frame (and one interpreter entry) deeper
than `python3 script.py` does (docs/races.md, "What is instrumented"). Recursion
*through* a rewritten __getitem__, property or __getattr__ is left out: their hooks
call them from C, so on 3.12+ the C recursion limit, not the Python one, ends such a
recursion (docs/races.md says so)."""

import sys


class Node:
    def __init__(self):
        self.depth = 0
        self.seen = {}

    def down(self, n):
        self.depth = n
        self.seen[n % 4] = n
        return self.down(n + 1)

    def via_items(self, n):
        self.seen[n] = n
        self.seen["depth"] = self.seen.get("depth", 0) + 1
        return self.via_items(self.seen[n] + 1)


def plain_recursion(n, box):
    box[0] = n
    return plain_recursion(n + 1, box)


def bare(n):
    try:
        return bare(n + 1)
    except RecursionError:
        return n


def depth_of(f):
    try:
        f()
    except RecursionError as e:
        return type(e).__name__


BASE = bare(0)


box = [0]
print(depth_of(lambda: plain_recursion(0, box)), box[0] - BASE)
node = Node()
print(depth_of(lambda: node.down(0)), node.depth - BASE, sorted(node.seen))
node = Node()
# Builtin methods called through a hook check the recursion limit as they are called
# (3.11's C-function calls do; its specialized calls from bytecode do not), so the
# deepest frame can stop one access earlier: within a few frames is the promise.
print(depth_of(lambda: node.via_items(0)), abs(node.seen["depth"] - BASE) <= 3)

limit = sys.getrecursionlimit()
sys.setrecursionlimit(200)
BASE = bare(0)
box = [0]
print(depth_of(lambda: plain_recursion(0, box)), box[0] - BASE)
node = Node()
print(depth_of(lambda: node.down(0)), node.depth - BASE)
node = Node()
# Builtin methods called through a hook check the recursion limit as they are called
# (3.11's C-function calls do; its specialized calls from bytecode do not), so the
# deepest frame can stop one access earlier: within a few frames is the promise.
print(depth_of(lambda: node.via_items(0)), abs(node.seen["depth"] - BASE) <= 3)
sys.setrecursionlimit(limit)


def nested_data(n):
    d = {}
    cur = d
    for i in range(n):
        cur["k"] = {}
        cur = cur["k"]
    return d


def walk(d, n=0):
    return walk(d["k"], n + 1) if d else n


print(walk(nested_data(500)))
print(depth_of(lambda: walk(nested_data(5000))))
