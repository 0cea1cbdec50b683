// The wrapped lock types: _thread.lock (allocate_lock) and _thread.RLock with the full
// API and CPython's exact semantics, built on PyThread locks like CPython <= 3.12's
// own, plus the recorder's view of who holds each lock and from which frame.
#pragma once

#include "runtime/python/py_compat.h"


#include "runtime/model/event.h"

namespace pyrace::py {

struct ThreadRec;

struct LockObject {
  PyObject_HEAD
  PyThread_type_lock lock;
  PyObject* weakreflist;
  LockId id;
  LockKind kind;
  bool locked;            // the lock is taken (RLock: count > 0)
  unsigned long owner;    // RLock: ident of the owning thread
  unsigned long count;    // RLock: recursion level
  // The recorder's view: the thread that took it (plain Lock: the last acquirer) and
  // the Python frame object that did. Borrowed, so that the frame and its locals die
  // when they would plainly: it is forgotten at release and when the frame is freed
  // (which reports the frame's end, frame_end.cpp).
  ThreadRec* holder;
  PyObject* acquire_frame;
  StackId acquire_stack;  // where it was last taken
  // The interpreter frame, and its code, of an acquire by __enter__ (which keeps no
  // frame object): a release from that frame takes its stack from acquire_stack's
  // callers instead of walking them. Known by address only, so a later activation of
  // the same code at the same address passes too; a `with` block releases in its own
  // activation, and only __enter__ and __exit__ called by hand from two calls of one
  // function could be given the first call's callers.
  const void* enter_frame;
  const void* enter_code;
  bool frame_end_reported;
  // A plain lock its holder has tried to take again: it waits for another thread's
  // release (a Condition's waiter lock, an event made of a lock). Such a lock keeps
  // no frames: they would outlive their function through it.
  bool is_signal;
  // The interpreter's own lock this one stands for, or null: a thread's sentinel
  // (NewSentinel). Every method is the interpreter lock's, and nothing is recorded.
  PyObject* interp_lock;
};

// Creates the types; call once from module init. Returns false with an exception set.
bool InitLockTypes(PyObject* module);
PyTypeObject* LockType();
PyTypeObject* RLockType();

// allocate_lock(): a new wrapped plain lock.
PyObject* NewLock();

// A lock of the wrapped type standing for `interp_lock`, a lock of the interpreter's
// own type that C code keeps using: the sentinel _thread._set_sentinel() makes, which
// the interpreter releases itself when the thread's state is deleted (3.10 to 3.12).
// It is a wrapped lock to Python code (type(t._tstate_lock) is _thread.LockType, as
// plainly; a pickler registered for that type pickles it), and does nothing of its own.
PyObject* NewSentinel(PyObject* interp_lock);

inline bool IsWrappedLock(PyObject* o) {
  return Py_TYPE(o) == LockType() || PyObject_TypeCheck(o, RLockType());
}

}  // namespace pyrace::py
