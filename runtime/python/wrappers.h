// Installation of the wrappers into _thread, _queue and threading (before the user's
// program runs), and the pieces each wrapper file provides.
#pragma once

#include "runtime/python/py_compat.h"

namespace pyrace::py {

// thread_wrappers.cpp: start_new_thread / start_joinable_thread, Thread.join and
// threading._shutdown. Keeps the originals it replaces in `originals` (a dict).
bool InstallThreadWrappers(PyObject* module, PyObject* originals);
// Patches an imported threading module: its aliases of the wrapped _thread names,
// Thread.join and _shutdown.
bool PatchThreading(PyObject* threading, PyObject* originals);
// The main thread's end: missed-release checks and ThreadExit (from atexit).
void EndMainThread();

// queue_wrapper.cpp: _queue.SimpleQueue with hand-off events.
bool InstallQueueWrapper(PyObject* module, PyObject* originals);

// All of it, in order: _thread, _queue, then threading and queue (imported here if
// the interpreter has not already done so, so that they bind the wrapped names).
bool InstallWrappers(PyObject* module);
// The replaced originals by name (module attribute _originals), for tests and lifecycle.
PyObject* Originals();

}  // namespace pyrace::py
