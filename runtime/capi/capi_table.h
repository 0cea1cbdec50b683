// The runtime's side of the C ABI (pyrace_capi.h), as C++: the recorder implements
// CapiSink, and the CPython extension publishes the table as sys.modules["_pyrace"]._capi:
//
//   static MyRecorderSink sink;                       // : pyrace::capi::CapiSink
//   pyrace::capi::Install(&sink, &PyGILState_Check);
//   PyModule_AddObject(m, "_capi",
//       PyCapsule_New(const_cast<PyraceCapiTable*>(pyrace::capi::Table()), PYRACE_CAPI_CAPSULE, nullptr));
//
// Instrumented extensions initialised after that call the sink; the table decides
// gil-not-held itself (hooks run before the C-API call or refcount change, with
// gil_held() false) so the sink only records. Thread-safe: hooks come from any thread.
#pragma once

#include <atomic>

#include "runtime/capi/pyrace_capi.h"

namespace pyrace::capi {

class CapiSink {
 public:
  virtual ~CapiSink() = default;
  // A refcount change (refcount=true) or C-API call without the GIL, at `site`.
  virtual void GilNotHeld(const PyraceCSite& site, bool refcount) = 0;
  virtual void GilReleased(const PyraceCSite& site) = 0;
  virtual void GilWaiting(const PyraceCSite& site) = 0;
  virtual void GilAcquired(const PyraceCSite& site) = 0;
  virtual void MutexCreated(const PyraceCSite& site, void* lock) = 0;
  virtual void MutexDestroyed(const PyraceCSite& site, void* lock) = 0;
  virtual void MutexWaiting(const PyraceCSite& site, void* lock, bool try_lock) = 0;
  virtual void MutexAcquired(const PyraceCSite& site, void* lock, bool try_lock) = 0;
  virtual void MutexTryFailed(const PyraceCSite& site, void* lock) = 0;
  virtual void MutexReleasing(const PyraceCSite& site, void* lock) = 0;
};

using GilHeldFn = int (*)();

// Routes the table's hooks to `sink` (nullptr: hooks do nothing). `gil_held` answers
// "does this thread hold the GIL" (PyGILState_Check).
void Install(CapiSink* sink, GilHeldFn gil_held);
const PyraceCapiTable* Table();

}  // namespace pyrace::capi
