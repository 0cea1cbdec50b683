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
