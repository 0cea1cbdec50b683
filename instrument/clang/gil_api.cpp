#include "instrument/clang/gil_api.h"

#include <array>

namespace pyrace::clint {
namespace {

// C-API functions that do not need the GIL. Anything else declared in the Python
// headers does (https://docs.python.org/3/c-api/init.html#thread-state-and-the-global-interpreter-lock:
// "the thread must hold the GIL before it may safely access Python objects").
constexpr GilFreeEntry kGilFree[] = {
    {"PyMem_Raw*", "c-api/memory.html#raw-memory-interface: usable without the GIL"},
    {"PyThread_*", "c-api/init.html#low-level-api, Python/thread.c: OS thread and TSS primitives"},
    {"PyMutex_*", "c-api/init.html#synchronization-primitives (3.13): does not need the GIL"},
    {"PyGILState_Ensure", "c-api/init.html#c.PyGILState_Ensure: takes the GIL"},
    {"PyGILState_Check", "c-api/init.html#c.PyGILState_Check: asks whether the GIL is held"},
    {"PyGILState_GetThisThreadState", "c-api/init.html#c.PyGILState_GetThisThreadState"},
    {"PyEval_RestoreThread", "c-api/init.html#c.PyEval_RestoreThread: takes the GIL"},
    {"PyEval_AcquireThread", "c-api/init.html#c.PyEval_AcquireThread: takes the GIL"},
    {"PyEval_AcquireLock", "c-api/init.html#c.PyEval_AcquireLock (deprecated): takes the GIL"},
    {"PyEval_ThreadsInitialized", "c-api/init.html: reads a flag"},
    {"Py_DecodeLocale", "c-api/sys.html#c.Py_DecodeLocale: pre-initialization safe, raw memory"},
    {"Py_EncodeLocale", "c-api/sys.html#c.Py_EncodeLocale: pre-initialization safe, raw memory"},
    {"Py_IsInitialized", "c-api/init.html#c.Py_IsInitialized: callable before initialization"},
    {"Py_IsFinalizing", "c-api/init.html#c.Py_IsFinalizing (3.13): reads a flag"},
    {"_Py_IsFinalizing", "Include/cpython/pylifecycle.h: reads an atomic flag"},
    {"Py_FatalError", "c-api/sys.html#c.Py_FatalError: aborts; safe in any state"},
    {"_Py_FatalErrorFunc", "Py_FatalError's implementation"},
    {"_Py_FatalErrorFormat", "Py_FatalError's implementation"},
    {"PyOS_snprintf", "c-api/conversion.html#c.PyOS_snprintf: C string formatting only"},
    {"PyOS_vsnprintf", "c-api/conversion.html#c.PyOS_vsnprintf: C string formatting only"},
    {"PyOS_stricmp", "c-api/conversion.html#c.PyOS_stricmp: C string comparison only"},
    {"PyOS_mystricmp", "c-api/conversion.html#c.PyOS_stricmp: C string comparison only"},
    {"PyOS_mystrnicmp", "c-api/conversion.html#c.PyOS_strnicmp: C string comparison only"},
    {"PyOS_strnicmp", "c-api/conversion.html#c.PyOS_strnicmp: C string comparison only"},
    {"Py_SetPath", "c-api/init.html#before-python-initialization"},
    {"Py_SetProgramName", "c-api/init.html#before-python-initialization"},
    {"Py_SetPythonHome", "c-api/init.html#before-python-initialization"},
    {"Py_Initialize", "c-api/init.html#c.Py_Initialize: called before a GIL exists"},
    {"Py_InitializeEx", "c-api/init.html#c.Py_InitializeEx: called before a GIL exists"},
    {"Py_InitializeFromConfig", "c-api/init_config.html: called before a GIL exists"},
    {"PyConfig_*", "c-api/init_config.html: pre-initialization configuration"},
    {"PyPreConfig_*", "c-api/init_config.html: pre-initialization configuration"},
    {"PyStatus_*", "c-api/init_config.html: plain structs"},
    {"PyWideStringList_*", "c-api/init_config.html: raw memory"},
    {"Py_PreInitialize*", "c-api/init_config.html: before initialization"},
    {"PyMem_SetAllocator", "c-api/memory.html#customize-memory-allocators: before initialization"},
    {"PyMem_GetAllocator", "c-api/memory.html#customize-memory-allocators"},
    {"PyMem_SetupDebugHooks", "c-api/memory.html#c.PyMem_SetupDebugHooks"},
    {"PyObject_GetArenaAllocator", "c-api/memory.html#customize-pyobject-arena-allocator"},
    {"PyObject_SetArenaAllocator", "c-api/memory.html#customize-pyobject-arena-allocator"},
    {"PyInterpreterState_Get", "c-api/init.html: reads the thread state pointer"},
    {"PyThreadState_GetInterpreter", "c-api/init.html#c.PyThreadState_GetInterpreter"},
    {"_PyThreadState_GET", "Include/internal/pycore_pystate.h: reads the thread state pointer"},
    {"_PyThreadState_UncheckedGet", "Include/cpython/pystate.h: reads the current thread state "
                                    "without checks; how code asks whether it holds the GIL"},
    {"PyThreadState_GetUnchecked", "c-api/init.html (3.13): the public _PyThreadState_UncheckedGet"},
    {"_PyRuntimeState_GetThreadState", "Include/internal/pycore_pystate.h: atomic read"},
    {"_Py_atomic_*", "Include/internal/pycore_atomic.h: atomic operations"},
    {"_PyTime_*", "Python/pytime.c: arithmetic on _PyTime_t and OS clocks (raising variants "
                  "are *Object / AsTimeval / AsTimespec without _clamp: see kApiTimeRaising)"},
    {"_PyDeadline_*", "Python/pytime.c: clock arithmetic"},
    {"Py_AddPendingCall", "c-api/init.html#c.Py_AddPendingCall: \"doesn't need the global "
                          "interpreter lock\""},
    {"PyTraceMalloc_Track", "Modules/_tracemalloc.c: takes the GIL itself (PyGILState_Ensure)"},
    {"PyTraceMalloc_Untrack", "Modules/_tracemalloc.c: takes the GIL itself (PyGILState_Ensure)"},
    {"_Py_fstat_noraise", "Python/fileutils.c: sets errno, never raises: made for code without the GIL"},
    {"_Py_write_noraise", "Python/fileutils.c: sets errno, never raises: made for code without the GIL"},
    {"_Py_open_noraise", "Python/fileutils.c: sets errno, never raises: made for code without the GIL"},
    {"_Py_closerange", "Python/fileutils.c: close() loop, async-signal-safe, never raises"},
    {"_Py_Dump*", "Include/internal/pycore_traceback.h: \"This function is signal safe\""},
    {"_Py_hashtable_*", "Include/internal/pycore_hashtable.h: plain C table on the raw allocator; "
                        "its users bring their own lock"},
    {"_PyThreadState_SetCurrent", "Python/pystate.c: binds a new OS thread to its state before "
                                  "that thread takes the GIL (thread bootstrap)"},
    // Field reads of an immutable object the caller owns a reference to: no reference
    // count change, no allocation, no exception; the object cannot change or go away.
    {"Py_TYPE", "Include/object.h: reads ob_type, fixed for the object's life"},
    {"PyBytes_AS_STRING", "Include/cpython/bytesobject.h: bytes are immutable"},
    {"PyBytes_GET_SIZE", "Include/cpython/bytesobject.h: bytes are immutable"},
    {"PyTuple_GET_SIZE", "Include/cpython/tupleobject.h: tuples are immutable"},
    {"PyTuple_GET_ITEM", "Include/cpython/tupleobject.h: tuples are immutable (borrowed item)"},
    {"PyUnicode_GET_LENGTH", "Include/cpython/unicodeobject.h: str is immutable"},
    {"PyUnicode_KIND", "Include/cpython/unicodeobject.h: str is immutable"},
    {"PyUnicode_DATA", "Include/cpython/unicodeobject.h: str is immutable"},
    {"PyUnicode_READ", "Include/cpython/unicodeobject.h: str is immutable"},
    {"PyUnicode_READ_CHAR", "Include/cpython/unicodeobject.h: str is immutable"},
    {"PyUnicode_1BYTE_DATA", "Include/cpython/unicodeobject.h: str is immutable"},
    {"PyUnicode_2BYTE_DATA", "Include/cpython/unicodeobject.h: str is immutable"},
    {"PyUnicode_4BYTE_DATA", "Include/cpython/unicodeobject.h: str is immutable"},
};

// _PyTime_* functions that build or raise Python exceptions: these need the GIL.
constexpr std::string_view kTimeRaising[] = {
    "_PyTime_FromSecondsObject", "_PyTime_FromMillisecondsObject", "_PyTime_AsSecondsDouble",
    "_PyTime_ObjectToTime_t", "_PyTime_ObjectToTimeval", "_PyTime_ObjectToTimespec",
    "_PyTime_AsTimeval", "_PyTime_AsTimespec", "_PyTime_AsNanosecondsObject",
    "_PyTime_GetMonotonicClockWithInfo", "_PyTime_GetSystemClockWithInfo",
    "_PyTime_GetPerfCounterWithInfo", "_PyTime_localtime", "_PyTime_gmtime",
};

constexpr std::string_view kRefcount[] = {
    "Py_INCREF",   "Py_DECREF",   "Py_XINCREF",    "Py_XDECREF",     "_Py_INCREF",
    "_Py_DECREF",  "_Py_XINCREF", "_Py_XDECREF",   "Py_NewRef",      "Py_XNewRef",
    "_Py_NewRef",  "_Py_XNewRef", "Py_SET_REFCNT", "_Py_SET_REFCNT", "_Py_Dealloc",
    "Py_IncRef",   "Py_DecRef",   "_Py_IncRef",    "_Py_DecRef",     "Py_CLEAR",
};

bool Matches(std::string_view pattern, std::string_view name) {
  if (!pattern.empty() && pattern.back() == '*') {
    return name.substr(0, pattern.size() - 1) == pattern.substr(0, pattern.size() - 1);
  }
  return pattern == name;
}

template <typename Range>
bool InList(const Range& list, std::string_view name) {
  for (std::string_view s : list) {
    if (s == name) return true;
  }
  return false;
}

bool IsGilFree(std::string_view name) {
  if (InList(kTimeRaising, name)) return false;
  for (const GilFreeEntry& e : kGilFree) {
    if (Matches(e.name, name)) return true;
  }
  return false;
}

CallRole ClassifyByName(std::string_view name) {
  if (name == "PyEval_SaveThread") return CallRole::kSaveThread;
  if (name == "PyEval_RestoreThread" || name == "PyEval_AcquireThread" ||
      name == "PyEval_AcquireLock") {
    return CallRole::kRestoreThread;
  }
  if (name == "PyEval_ReleaseThread" || name == "PyEval_ReleaseLock") {
    return CallRole::kReleaseThread;
  }
  if (name == "PyGILState_Ensure") return CallRole::kGilStateEnsure;
  if (name == "PyGILState_Release") return CallRole::kGilStateRelease;
  if (name == "pthread_mutex_lock" || name == "PyMutex_Lock" || name == "_PyMutex_Lock" ||
      name == "pthread_rwlock_rdlock" || name == "pthread_rwlock_wrlock" ||
      name == "pthread_spin_lock" || name == "EnterCriticalSection" ||
      name == "AcquireSRWLockExclusive") {
    return CallRole::kLockAcquire;
  }
  if (name == "pthread_mutex_trylock" || name == "pthread_mutex_timedlock" ||
      name == "PyThread_acquire_lock" || name == "PyThread_acquire_lock_timed" ||
      name == "pthread_rwlock_trywrlock" || name == "pthread_rwlock_tryrdlock" ||
      name == "pthread_spin_trylock" || name == "PyMutex_LockFast") {
    return CallRole::kLockTryAcquire;
  }
  if (name == "pthread_mutex_unlock" || name == "PyThread_release_lock" ||
      name == "PyMutex_Unlock" || name == "_PyMutex_Unlock" || name == "pthread_rwlock_unlock" ||
      name == "pthread_spin_unlock" || name == "LeaveCriticalSection" ||
      name == "ReleaseSRWLockExclusive") {
    return CallRole::kLockRelease;
  }
  if (name == "PyThread_free_lock" || name == "pthread_mutex_destroy" ||
      name == "pthread_rwlock_destroy") {
    return CallRole::kLockDestroy;
  }
  if (name == "pthread_create" || name == "PyThread_start_new_thread" ||
      name == "PyThread_start_joinable_thread") {
    return CallRole::kThreadStart;
  }
  return CallRole::kOther;
}

}  // namespace

CallRole ClassifyCall(std::string_view name, bool in_python_headers) {
  CallRole role = ClassifyByName(name);
  if (role != CallRole::kOther || !in_python_headers) return role;
  if (InList(kRefcount, name)) return CallRole::kRefcount;
  if (name.substr(0, 2) != "Py" && name.substr(0, 3) != "_Py") return CallRole::kOther;
  return IsGilFree(name) ? CallRole::kGilFree : CallRole::kApi;
}

const GilFreeEntry* GilFreeTable(size_t* n) {
  *n = std::size(kGilFree);
  return kGilFree;
}

int LockArgIndex(std::string_view name) {
  (void)name;
  return 0;  // every lock call in the table takes the lock first
}

int ThreadFunctionArgIndex(std::string_view name) {
  if (name == "pthread_create") return 2;
  if (name == "PyThread_start_new_thread" || name == "PyThread_start_joinable_thread") return 0;
  return -1;
}

}  // namespace pyrace::clint
