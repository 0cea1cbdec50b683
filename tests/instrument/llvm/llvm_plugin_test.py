"""unit.clang.llvm_plugin: extensions built with -fpass-plugin=libpyrace_llvm.so.

usage: llvm_plugin_test.py BUILD_DIR plain|recorded
BUILD_DIR holds the instrumented testdata extensions and capi_recorder.
"""
import importlib
import sys

sys.path.insert(0, sys.argv[1])
mode = sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


if mode == "plain":
    # No _pyrace module: the instrumented code runs as if it were not instrumented.
    for name in ("decref_nogil_bug", "decref_nogil_ok"):
        m = importlib.import_module(name)
        check(m.checksum(b"abc") == 294, f"plain: {name}.checksum")
    m = importlib.import_module("gil_mutex_order_ok")
    check(m.pending_count() == 0, "plain: gil_mutex_order_ok.pending_count")
else:
    # A runtime is present: every hook reports its C site.
    import capi_recorder

    sys.modules["_pyrace"] = capi_recorder
    bug = importlib.import_module("decref_nogil_bug")
    ok = importlib.import_module("decref_nogil_ok")
    order = importlib.import_module("gil_mutex_order_bug")

    capi_recorder.clear()
    check(bug.checksum(b"abc") == 294, "recorded: decref_nogil_bug.checksum")
    ev = capi_recorder.events()
    check(("gil-not-held", "decref_nogil_bug.c", 15, "Py_DECREF") in ev,
          f"bug: gil-not-held Py_DECREF at decref_nogil_bug.c:15, got {ev}")
    check(("refcount", "decref_nogil_bug.c", 11, "Py_INCREF") in ev, f"bug: refcount at 11: {ev}")

    capi_recorder.clear()
    check(ok.checksum(b"abc") == 294, "recorded: decref_nogil_ok.checksum")
    ev = capi_recorder.events()
    check(not [e for e in ev if e[0] == "gil-not-held"], f"ok twin: no gil-not-held, got {ev}")
    check(("gil-released", "decref_nogil_ok.c", 11, "PyEval_SaveThread") in ev, f"released at 11: {ev}")
    check(("gil-acquired", "decref_nogil_ok.c", 13, "PyEval_RestoreThread") in ev, f"acquired at 13: {ev}")
    check(("refcount", "decref_nogil_ok.c", 14, "Py_DECREF") in ev, f"refcount at 14: {ev}")

    capi_recorder.clear()
    check(order.pending_count() == 0, "recorded: gil_mutex_order_bug.pending_count")
    ev = capi_recorder.events()
    check(("lock", "gil_mutex_order_bug.c", 26, "pthread_mutex_lock") in ev, f"lock at 26: {ev}")
    check(("unlock", "gil_mutex_order_bug.c", 28, "pthread_mutex_unlock") in ev, f"unlock at 28: {ev}")

    # The author's own lock, described with pyrace_annotations.h.
    ann = importlib.import_module("annotated_lock_ok")
    capi_recorder.clear()
    check(ann.bump() == 1, "recorded: annotated_lock_ok.bump")
    ev = capi_recorder.events()
    check(("lock", "annotated_lock_ok.c", 15, "pyrace_mutex_post_lock") in ev, f"annotated lock: {ev}")
    check(("unlock", "annotated_lock_ok.c", 19, "pyrace_mutex_pre_unlock") in ev, f"annotated unlock: {ev}")

if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
print(f"llvm plugin ({mode}): ok")
