# What a program does is the same with and without pyrace: objects die when the
# program lets them, a user __hash__ runs as often, freeing deep structures or
# recursing deeply ends the way it does plainly. Run plainly and under both modes: the
# output must be the same. Every access below goes through the race mode's hooks
# (this script is instrumented).
import gc
import json
import sys
import weakref
import _threading_local


class Slots:  # no __weakref__: its death cannot be watched by a weak reference
    __slots__ = ("a",)

    def __del__(self):
        print("Slots freed")


class Plain:
    pass


def slots_freed_at_once():
    s = Slots()
    s.a = 1
    print("s.a", s.a)
    del s
    print("after del s")


def no_weakref_of_pyrace():
    w = Plain()
    w.x = 1
    print("w.x", w.x, "weak references", weakref.getweakrefcount(w))


def class_freed():
    class Local:
        pass
    holder = Plain()
    holder.item = Local()
    print("item", type(holder.item).__name__)
    r = weakref.ref(Local)
    del Local, holder
    gc.collect()
    print("class freed", r() is None)


def code_freed():
    def touch(o):
        o.x = 1
    code = compile("touch(Plain())", "<exec>", "exec")
    r = weakref.ref(code)
    exec(code, {"touch": touch, "Plain": Plain})
    del code
    gc.collect()
    print("code freed", r() is None)


def local_cycle_collected():
    loc = _threading_local.local()
    o = Plain()
    loc.o = o
    o.loc = loc
    r = weakref.ref(o)
    del o, loc
    gc.collect()
    print("cycle through _threading_local.local collected", r() is None)


def deep_containers_freed():
    lst, d = [], {}
    for _ in range(300000):  # 200000 nested dicts overflowed the C stack without the trashcan
        n = [lst]
        n[0] = lst
        lst = n
        m = {"k": d}
        m["k"] = d
        d = m
    del lst, d, n, m
    print("deep list and dict freed")


def deep_recursion_raises():
    lst = []
    for _ in range(200000):
        lst = [lst]
    try:
        json.dumps(lst)
    except RecursionError:
        print("RecursionError, limit", sys.getrecursionlimit())


class Hashed:
    calls = 0

    def __hash__(self):
        Hashed.calls += 1
        return 7


def user_hash_runs_as_often():
    h = Hashed()
    d = {}
    d[h] = 1
    d[h] += 1
    print("d[h]", d[h], h in d, d.get(h), d.setdefault(h, 0))
    del d[h]
    print("__hash__ calls", Hashed.calls)


class Hashed:
    calls = 0

    def __hash__(self):
        Hashed.calls += 1
        return 7


def user_hash_runs_as_often():
    h = Hashed()
    d = {}
    d[h] = 1
    d[h] += 1
    print("d[h]", d[h], h in d, d.get(h), d.setdefault(h, 0))
    del d[h]
    print("__hash__ calls", Hashed.calls)


slots_freed_at_once()
no_weakref_of_pyrace()
class_freed()
code_freed()
local_cycle_collected()
deep_containers_freed()
deep_recursion_raises()
user_hash_runs_as_often()
