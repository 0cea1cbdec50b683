"""The interpreter's own functions as a program sees them: name, module, what they are
bound to, signature, doc, and their identity across the names they go by (os.pipe is
posix.pipe) and in os's identity sets."""

import _thread
import inspect
import marshal
import os
import posix
import subprocess  # noqa: F401  (imports _posixsubprocess)

import _posixsubprocess

SETS = ("supports_fd", "supports_dir_fd", "supports_follow_symlinks", "supports_effective_ids")


def describe(owner, name):
    fn = getattr(owner, name, None)
    if fn is None:
        return "absent"
    bound = getattr(fn, "__self__", None)
    bound = getattr(bound, "__name__", type(bound).__name__)
    try:
        sig = str(inspect.signature(fn))
    except (TypeError, ValueError) as e:
        sig = type(e).__name__
    doc = (fn.__doc__ or "").splitlines()[:1]
    sets = [s for s in SETS if fn in getattr(os, s, ())]
    return f"{fn.__name__} {fn.__qualname__} {fn.__module__} bound={bound} {sig} {doc} {sets}"


for name in ("pipe", "read", "write", "close", "fork", "_exit", "execv", "execve", "posix_spawn", "posix_spawnp"):
    print("os." + name, describe(os, name), getattr(os, name, None) is getattr(posix, name, None))
for name in ("start_new_thread", "start_new", "start_joinable_thread", "allocate_lock", "allocate", "_count"):
    print("_thread." + name, describe(_thread, name))
for name in ("dump", "dumps"):
    print("marshal." + name, describe(marshal, name))
print("_posixsubprocess.fork_exec", describe(_posixsubprocess, "fork_exec"))
print(_thread.allocate is _thread.allocate_lock, _thread.start_new is _thread.start_new_thread)

# Methods of Python classes that pyrace stands in for (asyncio's from 3.11 on): what a
# bound method shows, and the class attribute's name and doc (its type is a builtin's).
import asyncio  # noqa: E402
import threading  # noqa: E402

loop = asyncio.new_event_loop()
handle = loop.call_soon(print)
for f in (loop.call_soon_threadsafe, loop.run_forever, handle._run, threading.Thread().join,
          threading.Thread().is_alive, threading.Condition(threading.Lock())._is_owned):
    print(f.__qualname__, f.__name__, inspect.signature(f), (f.__doc__ or "").splitlines()[:1])
for f in (type(loop).call_soon_threadsafe, type(loop).run_forever, asyncio.events.Handle._run,
          threading.Thread.join, threading.Thread.is_alive, threading.Condition._is_owned):
    print(f.__qualname__, f.__name__, (f.__doc__ or "").splitlines()[:1])
handle.cancel()
loop.close()
