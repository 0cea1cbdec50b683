#include "runtime/python/lock_args.h"

#include <time.h>

#include <cmath>
#include <cstring>

namespace pyrace::py {

namespace {

constexpr int64_t kNsPerSec = 1000000000;

int64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}

// CPython's words for a timeout out of range, which differ between a float and an int.
void SetTimeOverflow(bool from_float) {
  (void)from_float;  // not every version tells them apart
#if PY_VERSION_HEX >= 0x030E0000
  PyErr_SetString(PyExc_OverflowError, "timestamp out of range for C PyTime_t");
#else
#if PY_VERSION_HEX >= 0x030B0000
  if (from_float) {
    PyErr_SetString(PyExc_OverflowError, "timestamp out of range for platform time_t");
    return;
  }
#endif
#if PY_VERSION_HEX >= 0x030D0000
  PyErr_SetString(PyExc_OverflowError, "timestamp too large to convert to C PyTime_t");
#else
  PyErr_SetString(PyExc_OverflowError, "timestamp too large to convert to C _PyTime_t");
#endif
#endif
}

bool DoubleToNs(double d, int64_t* ns) {
  if (std::isnan(d)) {
    PyErr_SetString(PyExc_ValueError, "Invalid value NaN (not a number)");
    return false;
  }
  double v = d * 1e9;
  v = v >= 0 ? std::ceil(v) : std::floor(v);
  // The int64 range exactly: TIMEOUT_MAX (9223372036.0 s) must still convert.
  if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0)) {
    SetTimeOverflow(/*from_float=*/true);
    return false;
  }
  *ns = static_cast<int64_t>(v);
  return true;
}

// _PyTime_FromSecondsObject with _PyTime_ROUND_TIMEOUT (away from zero).
bool SecondsToNs(PyObject* obj, int64_t* ns) {
#if PY_VERSION_HEX >= 0x030F0000
  // 3.15 takes anything float() takes that is not an int (its error is float()'s).
  if (!PyLong_Check(obj)) {
    double d = PyFloat_AsDouble(obj);
    if (d == -1.0 && PyErr_Occurred()) return false;
    return DoubleToNs(d, ns);
  }
#else
  if (PyFloat_Check(obj)) return DoubleToNs(PyFloat_AsDouble(obj), ns);
#endif
#if PY_VERSION_HEX >= 0x030E0000
  if (!PyIndex_Check(obj)) {
    PyErr_Format(PyExc_TypeError, "'%.200s' object cannot be interpreted as an integer or float",
                 Py_TYPE(obj)->tp_name);
    return false;
  }
#endif
  long long sec = PyLong_AsLongLong(obj);
  if (sec == -1 && PyErr_Occurred()) {
    if (PyErr_ExceptionMatches(PyExc_OverflowError)) {
      PyErr_Clear();
      SetTimeOverflow(/*from_float=*/false);
    }
    return false;
  }
  if (sec > INT64_MAX / kNsPerSec || sec < INT64_MIN / kNsPerSec) {
    SetTimeOverflow(/*from_float=*/false);
    return false;
  }
  *ns = static_cast<int64_t>(sec) * kNsPerSec;
  return true;
}

bool KeywordIs(PyObject* name, const char* want) {
  return PyUnicode_Check(name) && PyUnicode_CompareWithASCIIString(name, want) == 0;
}

void SetBadKeyword(PyObject* name) {
#if PY_VERSION_HEX >= 0x030D0000
  PyErr_Format(PyExc_TypeError, "acquire() got an unexpected keyword argument '%U'", name);
#else
  PyErr_Format(PyExc_TypeError, "'%U' is an invalid keyword argument for acquire()", name);
#endif
}

int64_t CeilMicros(int64_t ns) { return ns <= 0 ? ns / 1000 : (ns + 999) / 1000; }

}  // namespace

bool ParseAcquireArgs(PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames,
                      AcquireArgs* out) {
  Py_ssize_t nkw = kwnames != nullptr ? PyTuple_GET_SIZE(kwnames) : 0;
  if (nargs + nkw > 2) {
    PyErr_Format(PyExc_TypeError, "acquire() takes at most 2 arguments (%zd given)", nargs + nkw);
    return false;
  }
  PyObject* blocking_obj = nargs > 0 ? args[0] : nullptr;
  PyObject* timeout_obj = nargs > 1 ? args[1] : nullptr;
  for (Py_ssize_t i = 0; i < nkw; ++i) {
    PyObject* name = PyTuple_GET_ITEM(kwnames, i);
    PyObject* value = args[nargs + i];
    if (KeywordIs(name, "blocking")) {
      if (blocking_obj != nullptr) {
        PyErr_SetString(PyExc_TypeError,
                        "argument for acquire() given by name ('blocking') and position (1)");
        return false;
      }
      blocking_obj = value;
    } else if (KeywordIs(name, "timeout")) {
      if (timeout_obj != nullptr) {
        PyErr_SetString(PyExc_TypeError,
                        "argument for acquire() given by name ('timeout') and position (2)");
        return false;
      }
      timeout_obj = value;
    } else {
      SetBadKeyword(name);
      return false;
    }
  }
  AcquireArgs a;
  if (blocking_obj != nullptr) {
    int truth = PyObject_IsTrue(blocking_obj);
    if (truth < 0) return false;
    a.blocking = truth != 0;
  }
  constexpr int64_t kUnset = -kNsPerSec;  // timeout=-1, CPython's "not given"
  int64_t timeout = kUnset;
  if (timeout_obj != nullptr && !SecondsToNs(timeout_obj, &timeout)) return false;
  if (!a.blocking && timeout != kUnset) {
    PyErr_SetString(PyExc_ValueError, "can't specify a timeout for a non-blocking call");
    return false;
  }
  if (timeout < 0 && timeout != kUnset) {
#if PY_VERSION_HEX >= 0x030D0000
    PyErr_SetString(PyExc_ValueError, "timeout value must be a non-negative number");
#else
    PyErr_SetString(PyExc_ValueError, "timeout value must be positive");
#endif
    return false;
  }
  if (!a.blocking) {
    a.timeout_ns = 0;
  } else if (timeout != kUnset) {
    if (CeilMicros(timeout) > static_cast<int64_t>(PY_TIMEOUT_MAX)) {
      PyErr_SetString(PyExc_OverflowError, "timeout value is too large");
      return false;
    }
    a.timed = true;
    a.timeout_ns = timeout;
  } else {
    a.timeout_ns = -1;
  }
  *out = a;
  return true;
}

// CPython's own acquire takes the lock while it does not hold the GIL and then waits
// for the GIL with the lock held. Under pyrace the access hooks put eval-breaker points
// inside critical sections, so the holder often drops the GIL there; a waiter that then
// takes the lock without the GIL starts a convoy in which every critical section costs
// two thread switches (11x slower on bench/programs/races_access_heavy.py). So a waiter
// first only waits for the lock to become free, gives it straight back, and takes it
// again with the GIL held. If another thread got there first, the next wait keeps the
// lock the way CPython's does: a waiter loses at most one race, never starves.
// The caller sees CPython's semantics: blocks until acquired or the timeout, and signal
// handlers run while it waits (docs/runtime.md, "Contended acquires").
PyLockStatus AcquireBlocking(PyThread_type_lock lock, int64_t timeout_ns) {
  // Saturated: threading.TIMEOUT_MAX must not overflow the deadline.
  int64_t now = MonotonicNs();
  int64_t deadline = timeout_ns <= 0 ? 0 : (timeout_ns > INT64_MAX - now ? INT64_MAX : now + timeout_ns);
  // A timed waiter that wakes with the lock this close to its deadline keeps it: giving
  // it back could lose the retake after the deadline and answer False for a lock it
  // got in time. Twice CPython's default switch interval covers the wait for the GIL.
  constexpr int64_t kKeepNearDeadlineNs = 10 * 1000 * 1000;
  bool give_back = true;
  for (;;) {
    if (PyThread_acquire_lock_timed(lock, 0, 0) == PY_LOCK_ACQUIRED) return PY_LOCK_ACQUIRED;
    if (timeout_ns == 0) return PY_LOCK_FAILURE;
    PY_TIMEOUT_T us = timeout_ns < 0 ? -1 : static_cast<PY_TIMEOUT_T>(CeilMicros(timeout_ns));
    PyLockStatus r;
    bool woke_free = false;
    Py_BEGIN_ALLOW_THREADS
    r = PyThread_acquire_lock_timed(lock, us, 1);
    if (r == PY_LOCK_ACQUIRED && give_back &&
        (timeout_ns < 0 || deadline - MonotonicNs() > kKeepNearDeadlineNs)) {
      PyThread_release_lock(lock);
      woke_free = true;
    }
    Py_END_ALLOW_THREADS
    if (r == PY_LOCK_ACQUIRED && !woke_free) return PY_LOCK_ACQUIRED;
    if (r == PY_LOCK_FAILURE) return PY_LOCK_FAILURE;
    // Signal handlers run here; an exception from one (KeyboardInterrupt) ends the wait.
    if (r == PY_LOCK_INTR && Py_MakePendingCalls() < 0) return PY_LOCK_INTR;
    if (woke_free) {
      if (PyThread_acquire_lock_timed(lock, 0, 0) == PY_LOCK_ACQUIRED) return PY_LOCK_ACQUIRED;
      give_back = false;
    }
    if (timeout_ns > 0) {
      timeout_ns = deadline - MonotonicNs();
      if (timeout_ns <= 0) return PY_LOCK_FAILURE;
    }
  }
}

void AcquireUninterruptible(PyThread_type_lock lock) {
  if (PyThread_acquire_lock(lock, 0)) return;
  Py_BEGIN_ALLOW_THREADS
  PyThread_acquire_lock(lock, 1);
  Py_END_ALLOW_THREADS
}

}  // namespace pyrace::py
