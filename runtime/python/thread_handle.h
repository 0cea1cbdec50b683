// 3.13's _thread.start_joinable_thread() returns a _ThreadHandle whose join() and
// is_done() are C code (an immutable type): a thread joined through it would have no
// join edge and its joiner no wait state. A caller that passed no handle of its own
// gets this proxy instead, which forwards to the real handle and records like
// Thread.join. (threading.Thread passes its own handle and its join is wrapped.)
#pragma once

#include "runtime/python/py_compat.h"

#include "runtime/model/event.h"

namespace pyrace::py {

// Takes the reference to `handle`; returns a new reference (null with an exception set).
PyObject* WrapJoinableHandle(PyObject* handle, Tid tid);

}  // namespace pyrace::py
