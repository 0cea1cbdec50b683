# What a program does is the same with and without pyrace: objects die when the
# program lets them, a user __hash__ runs as often, freeing deep structures or
# recursing deeply ends the way it does plainly. Run plainly and under both modes: the
# output must be the same. Every access below goes through the race mode's hooks
# (this script is instrumented).
import gc
import inspect
import json
import os
import queue
import re
import sys
import threading
import weakref
import _thread
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


def builtins_look_the_same():
    # What help() and inspect read from the functions and types pyrace replaces.
    lock, rlock = threading.Lock(), threading.RLock()
    objs = [os._exit, os.execv, os.execve, os.fork, os.pipe, os.read, os.write, os.close,
            _thread.start_new_thread, _thread.start_new, _thread.allocate_lock, _thread.allocate,
            _thread._count, getattr(_thread, "start_joinable_thread", None), _thread.LockType, _thread.RLock,
            threading.Lock, threading._shutdown, lock.acquire, lock.release, lock.locked, lock.__exit__,
            rlock.acquire, rlock.release, rlock._is_owned, type(lock).acquire, type(rlock).__enter__,
            queue.SimpleQueue, queue.SimpleQueue.put, queue.SimpleQueue.put_nowait, queue.SimpleQueue.get]
    for o in objs:
        if o is None:
            continue
        # (A Python function a builtin stands in for has no __text_signature__; its
        # signature is what inspect derives from the original's.)
        row = [getattr(o, a, "-") for a in ("__name__", "__qualname__", "__module__", "__doc__")]
        try:
            row.append(str(inspect.signature(o)))
        except (TypeError, ValueError) as e:
            row.append(re.sub(r" at 0x[0-9a-f]+", "", "%s: %s" % (type(e).__name__, e)))
        print(*row)
    # Methods replaced on Python classes: what a bound call sees.
    for o in (threading.Thread().join, threading.Thread().is_alive, threading.Condition(threading.Lock())._is_owned):
        print(o.__name__, o.__qualname__, o.__module__, inspect.signature(o))
    q = queue.SimpleQueue()
    q.put_nowait(item=1)
    print("put_nowait(item=)", q.get_nowait())
    # os lists its functions by identity: `os.execve in os.supports_fd` (test_posix).
    print("os.supports_fd", sorted(f.__name__ for f in os.supports_fd if getattr(os, f.__name__, None) is f))


def descriptors_numbered_as_plainly():
    # New descriptors take the lowest free numbers, the ones they take plainly
    # (test_os allocates consecutive ones): pyrace's own stay out of their way.
    first = os.open(os.devnull, os.O_RDONLY)
    second = os.dup(first)
    print("consecutive descriptors", second == first + 1, first)
    os.close(first)
    os.close(second)


def imports_traced_as_plainly():
    # A tracer, a profiler and a sys.monitoring tool see the frames an import runs
    # plainly and none of pyrace's: its finder (socket is a module it waits for), the
    # rewriting loader and the rewriter (traced_import is instrumented in race mode).
    # importlib's own frames are left out: the rewriting loader reads no plain bytecode.
    calls = []

    def tracer(frame, event, arg):
        if event == "call" and not frame.f_code.co_filename.startswith("<frozen"):
            calls.append((os.path.basename(frame.f_code.co_filename), frame.f_code.co_name))

    profiled = []

    def profiler(frame, event, arg):
        if event == "call" and not frame.f_code.co_filename.startswith("<frozen"):
            profiled.append(frame.f_code.co_name)

    started = []
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is not None:
        monitoring.use_tool_id(monitoring.PROFILER_ID, "unchanged.py")
        monitoring.register_callback(
            monitoring.PROFILER_ID, monitoring.events.PY_START,
            lambda code, offset: None if code.co_filename.startswith("<frozen") else started.append(code.co_name))
        monitoring.set_events(monitoring.PROFILER_ID, monitoring.events.PY_START)
    sys.setprofile(profiler)
    sys.settrace(tracer)
    import socket
    import traced_import
    sys.settrace(None)
    sys.setprofile(None)
    if monitoring is not None:
        monitoring.set_events(monitoring.PROFILER_ID, 0)
        monitoring.free_tool_id(monitoring.PROFILER_ID)
    print("traced calls", len(calls), sorted(set(calls)), traced_import.answer(), socket.SOCK_STREAM)
    print("profiled calls", len(profiled), "monitored starts", len(started) if monitoring else len(profiled))


held = threading.Lock()


def take_and_return_local():
    obj = Plain()
    held.acquire()  # still held when this returns
    return weakref.ref(obj)


def take_in_generator():
    obj = Plain()
    yield weakref.ref(obj)
    held.acquire()
    yield


def locals_die_while_their_lock_is_held():
    # The acquiring frame is what a missed release is reported from; the lock must
    # not keep it, or the function's locals, alive.
    r = take_and_return_local()
    print("local of a returned function freed while its lock is held", r() is None, held.locked())
    held.release()
    g = take_in_generator()
    r = next(g)
    next(g)
    del g
    print("local of a generator freed while its lock is held", r() is None, held.locked())
    held.release()


slots_freed_at_once()
builtins_look_the_same()
descriptors_numbered_as_plainly()
locals_die_while_their_lock_is_held()
no_weakref_of_pyrace()
class_freed()
code_freed()
local_cycle_collected()
deep_containers_freed()
deep_recursion_raises()
user_hash_runs_as_often()
imports_traced_as_plainly()
