/* The C ABI between extension code instrumented by pyrace's LLVM pass plugin
 * (instrument/llvm) and the pyrace runtime. Plain C so any runtime can implement it.
 *
 * Handshake: the pass makes every PyInit_* of an instrumented extension look up
 * sys.modules["_pyrace"]._capi, a PyCapsule named "_pyrace._capi" whose pointer is a
 * PyraceCapiTable. Not under pyrace (plain python3), there is no such module: the
 * table stays NULL and every hook is a load and a branch, nothing else.
 *
 * Every hook receives the static call site the pass emitted (C file, line, column,
 * function, and what the instrumented operation is: "Py_DECREF", "PyErr_SetString",
 * "pthread_mutex_lock"), so reports point at the C source line. Hooks may run without
 * the GIL: that is what they are for.
 */
#ifndef PYRACE_CAPI_H
#define PYRACE_CAPI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PYRACE_CAPI_VERSION 1
#define PYRACE_CAPI_CAPSULE "_pyrace._capi"

typedef struct PyraceCSite {
  const char* file;
  uint32_t line;
  uint32_t column;
  const char* function;
  const char* what;
} PyraceCSite;

/* All slots are pointer-sized so the pass can index them: slot i is at offset
 * i * sizeof(void*). Slot 0 holds the version. Unused slots may be NULL. */
typedef struct PyraceCapiTable {
  uintptr_t version; /* PYRACE_CAPI_VERSION */
  /* A reference count is about to change (obj is the object). */
  void (*refcount)(const PyraceCSite* site, void* obj);
  /* A C-API function (not one of the documented GIL-free ones) is about to be called. */
  void (*api_call)(const PyraceCSite* site);
  /* The GIL was just released (PyEval_SaveThread, PyEval_ReleaseThread, PyGILState_Release). */
  void (*gil_released)(const PyraceCSite* site);
  /* The thread is about to wait for the GIL, and has it now. */
  void (*gil_pre_acquire)(const PyraceCSite* site);
  void (*gil_acquired)(const PyraceCSite* site);
  /* C locks (pthread mutex, PyThread lock, PyMutex, or annotated): lock is its address
   * (for PyThread locks, the PyThread_type_lock value). try_lock: a non-blocking or
   * timed attempt; acquired: whether it got the lock. */
  void (*mutex_pre_lock)(const PyraceCSite* site, void* lock, int try_lock);
  void (*mutex_post_lock)(const PyraceCSite* site, void* lock, int try_lock, int acquired);
  void (*mutex_pre_unlock)(const PyraceCSite* site, void* lock);
  void (*mutex_create)(const PyraceCSite* site, void* lock);
  void (*mutex_destroy)(const PyraceCSite* site, void* lock);
} PyraceCapiTable;

/* Slot numbers, as the pass uses them. */
enum {
  PYRACE_SLOT_REFCOUNT = 1,
  PYRACE_SLOT_API_CALL = 2,
  PYRACE_SLOT_GIL_RELEASED = 3,
  PYRACE_SLOT_GIL_PRE_ACQUIRE = 4,
  PYRACE_SLOT_GIL_ACQUIRED = 5,
  PYRACE_SLOT_MUTEX_PRE_LOCK = 6,
  PYRACE_SLOT_MUTEX_POST_LOCK = 7,
  PYRACE_SLOT_MUTEX_PRE_UNLOCK = 8,
  PYRACE_SLOT_MUTEX_CREATE = 9,
  PYRACE_SLOT_MUTEX_DESTROY = 10,
};

#ifdef __cplusplus
}
#endif

#endif /* PYRACE_CAPI_H */
