// The recorder's side of the LLVM pass plugin's C ABI (runtime/capi): instrumented
// extension code reports refcount changes and C-API calls made without the GIL, C
// mutex operations and GIL transitions; this turns them into trace events.
//
// The hooks often run without the GIL, and the recorder needs it. Such calls are
// queued in a bounded pending buffer, which the recorder drains (in order, under the
// GIL) before it writes its next event and when it flushes; a hook that runs with the
// GIL drains first and then emits directly. So each thread's events keep their order.
#pragma once

#include "runtime/python/py_compat.h"

#include <atomic>
#include <cstdint>
#include <vector>

#include "runtime/analysis/wait_for.h"
#include "runtime/model/event.h"

namespace pyrace::py {

class Recorder;

// Installs the sink and publishes the table as `module._capi` (the capsule named
// PYRACE_CAPI_CAPSULE). Returns false with a Python exception set.
bool InitCapiBridge(PyObject* module);

namespace capi_detail {
extern std::atomic<bool> g_pending;  // the pending buffer is not empty
void Drain(Recorder& rec);
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

// --- C-level waits, for the watchdog's GIL monitor --------------------------------
// The hooks keep, under a small native mutex (not the GIL), per native thread: the
// C mutex or the GIL it blocks on, since when and at which C site, and which C
// mutexes each thread holds. A thread that blocks on a C mutex with the GIL held
// (pthread_mutex_lock in a Python-called function) keeps the GIL while it waits: it
// is the one thread known for certain to hold the GIL, and its stack (C site +
// Python) is captured at the pre-lock, while it could still be.
//
// The monitor, which runs without the GIL while the watchdog cannot get it:
//   if (FreezeCWaits(rec.NowUs(), grace_us)) {  // a GIL holder blocked >= grace
//     ... AddCWaits(rec, snap); Analyze; CWaitOf(...) per stuck thread; emit ...
//     ThawCWaits();                              // or _exit while frozen
//   }
// Between Freeze and Thaw the caller has the recorder (and this bridge's GIL-side
// state) to itself, without the GIL: every use of the recorder needs the GIL, the
// GIL's holder is blocked in its C mutex wait, and a thread that comes out of a C
// wait or gets the GIL while frozen parks in its hook, before touching anything,
// until the thaw. So nothing that writes can run.

// True (and frozen) when a thread has been blocked on a C mutex with the GIL held
// for at least grace_us.
bool FreezeCWaits(uint64_t now_us, uint64_t grace_us);
// Frozen: writes the queued events, then puts the C-level waits into snap: threads
// blocked on a C mutex or on the GIL (their C wait replaces their Python-level
// state), every other thread the hooks know as running, the waited C mutexes with
// their holders, and the GIL (held when its blocked holder is known).
void AddCWaits(Recorder& rec, wait_for::Snapshot& snap);
// Frozen: the C-level wait of tid, if it has one: the LockId it waits on and where
// (C site above the Python stack when it held the GIL). For the GIL's blocked holder
// the GIL hold is written to the trace first, so the report can name it.
bool CWaitOf(Recorder& rec, Tid tid, uint64_t* obj, StackId* stack);
void ThawCWaits();
// Before a deadlock report (GIL held, or frozen): a stuck thread that the trace still
// shows holding the GIL let it go in code the pass did not see (a wrapped lock's
// wait, the eval loop); the release is written so the report does not list the GIL
// among its held locks. The GIL's blocked holder keeps it.
void EndGilHoldOfWaiters(Recorder& rec, const std::vector<Tid>& stuck);

}  // namespace pyrace::py
