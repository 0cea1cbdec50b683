// What a call does to the GIL, to C locks and to reference counts: the one table the
// walk consults. Every GIL-free exception carries the documentation that allows it.
#pragma once

#include <string_view>

namespace pyrace::clint {

enum class CallRole {
  kOther,          // not the Python C API: no GIL requirement
  kApi,            // C-API function: needs the GIL
  kGilFree,        // C-API function documented as callable without the GIL
  kRefcount,       // reference-count change (Py_INCREF and friends): needs the GIL
  kSaveThread,     // PyEval_SaveThread: releases the GIL, returns the thread state
  kRestoreThread,  // PyEval_RestoreThread / PyEval_AcquireThread: takes the GIL
  kReleaseThread,  // PyEval_ReleaseThread: releases the GIL
  kGilStateEnsure,
  kGilStateRelease,
  kLockAcquire,    // blocking C lock acquire (pthread_mutex_lock, PyMutex_Lock, ...)
  kLockTryAcquire, // may fail: pthread_mutex_trylock, PyThread_acquire_lock(l, 0), ...
  kLockRelease,
  kLockDestroy,    // PyThread_free_lock / pthread_mutex_destroy: the lock's life ends
  kThreadStart,    // pthread_create / PyThread_start_new_thread: a function runs without the GIL
};

// Classifies a call by the callee's name. `in_python_headers`: the callee is declared
// in the Python headers (only those can be kApi / kGilFree / kRefcount).
CallRole ClassifyCall(std::string_view name, bool in_python_headers);

// For GIL-free entries: the documentation that says so (for --list-rules and docs).
struct GilFreeEntry {
  std::string_view name;  // exact name, or a prefix when it ends with '*'
  std::string_view why;
};
const GilFreeEntry* GilFreeTable(size_t* n);

// Argument index of the lock in a lock call; the thread function in kThreadStart.
int LockArgIndex(std::string_view name);
int ThreadFunctionArgIndex(std::string_view name);

}  // namespace pyrace::clint
