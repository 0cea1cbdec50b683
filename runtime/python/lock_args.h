// CPython's lock argument handling and timed acquire, reproduced exactly
// (Modules/_threadmodule.c: lock_acquire_parse_args, acquire_timed) so wrapped locks
// accept, reject and time out the way the real ones do.
#pragma once

#include "runtime/python/py_compat.h"


#include <cstdint>

namespace pyrace::py {

struct AcquireArgs {
  bool blocking = true;
  bool timed = false;         // a timeout >= 0 was given
  int64_t timeout_ns = -1;    // < 0: wait forever; 0: try once
};

// acquire(blocking=True, timeout=-1). Returns false with an exception set.
bool ParseAcquireArgs(PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames,
                      AcquireArgs* out);

// Blocks (GIL released) until the lock is taken, the timeout passes, or a signal
// handler raises. Signal handlers run between retries, and a timeout keeps counting
// across them. PY_LOCK_INTR means an exception is set.
PyLockStatus AcquireBlocking(PyThread_type_lock lock, int64_t timeout_ns);

// The uninterruptible blocking acquire RLock._acquire_restore uses.
void AcquireUninterruptible(PyThread_type_lock lock);

}  // namespace pyrace::py
