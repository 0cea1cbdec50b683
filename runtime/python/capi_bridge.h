// The recorder's side of the LLVM pass plugin's C ABI (runtime/capi): instrumented
// extension code reports refcount changes and C-API calls made without the GIL, C
// mutex operations and GIL transitions; this turns them into trace events. (What the
// same hooks note of threads blocked in C, for the watchdog, is c_wait_record.h.)
//
// The hooks often run without the GIL, and the recorder needs it. Such calls are
// queued in a bounded pending buffer, which the recorder drains (in order, under the
// GIL) before it writes its next event and when it flushes; a hook that runs with the
// GIL drains first and then emits directly. So each thread's events keep their order.
#pragma once

#include "runtime/python/py_compat.h"

#include <atomic>
#include <cstdint>

#include "runtime/capi/pyrace_capi.h"
#include "runtime/model/event.h"

namespace pyrace::py {

class Recorder;

// Installs the sink and publishes the table as `module._capi` (the capsule named
// PYRACE_CAPI_CAPSULE). Returns false with a Python exception set.
bool InitCapiBridge(PyObject* module);

namespace capi_detail {
extern std::atomic<bool> g_pending;  // the pending buffer is not empty
void Drain(Recorder& rec);

// What the C-level wait record (c_wait_record.h) uses of the bridge's event side.
struct CThread;                       // a C thread's record-to-be (see capi_bridge.cpp)
CThread* OwnCThread();                // the calling thread's, created on first use
Tid CThreadTid(Recorder& rec, CThread* c);       // GIL held, or frozen
LockId CMutexId(Recorder& rec, void* lock, Tid tid);  // a C mutex's LockId, defined on first use
StackId CSiteStack(Recorder& rec, const PyraceCSite* site, StackId python);  // C site above python
int GilHeldByThisThread();            // PyGILState_Check, safe during finalization
Tid TraceGilHolder();                 // the thread the trace shows holding the GIL
void TraceGilRelease(Recorder& rec, Tid tid, StackId stack);
void TraceGilHeld(Recorder& rec, Tid tid, StackId stack);
}  // namespace capi_detail

// Writes what the GIL-free hooks queued. GIL held. Cheap when nothing is queued: the
// recorder calls it before every event.
inline void DrainCapiPending(Recorder& rec) {
  if (capi_detail::g_pending.load(std::memory_order_acquire)) capi_detail::Drain(rec);
}

// Before the final flush: writes what is queued and ends the GIL hold the trace
// shows. A thread holds the GIL when it ends, by design; left open, that hold would
// read as a lock its thread never released. GIL held.
void EndCapiRecording(Recorder& rec);

// Events lost because the pending buffer was full.
uint64_t CapiDroppedEvents();

}  // namespace pyrace::py
