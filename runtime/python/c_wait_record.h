// The C-level wait record, for the watchdog's GIL monitor. The capi bridge's hooks
// (capi_bridge.cpp) queue trace events; beside that they note here, under a small native
// mutex (not the GIL), per native thread: the C mutex or the GIL it blocks on, since
// when and at which C site, and which C mutexes each thread holds. A thread that blocks
// on a C mutex with the GIL held (pthread_mutex_lock in a Python-called function) keeps
// the GIL while it waits: it is the one thread known for certain to hold the GIL, and
// its stack (C site + Python) is captured at the pre-lock, while it could still be.
//
// The monitor, which runs without the GIL while the watchdog cannot get it:
//   if (FreezeCWaits(rec.NowUs(), grace_us)) {  // a GIL holder blocked >= grace
//     ... AddCWaits(rec, snap); Analyze; CWaitOf(...) per stuck thread; emit ...
//     ThawCWaits();                              // or _exit while frozen
//   }
// Between Freeze and Thaw the caller has the recorder (and the bridge's GIL-side
// state) to itself, without the GIL: every use of the recorder needs the GIL, the
// GIL's holder is blocked in its C mutex wait, and a thread that comes out of a C
// wait or gets the GIL while frozen parks in its hook, before touching anything,
// until the thaw. So nothing that writes can run.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/analysis/wait_for.h"
#include "runtime/capi/pyrace_capi.h"
#include "runtime/model/event.h"

namespace pyrace::py {

class Recorder;

// --- The monitor's side (watchdog.cpp) ---------------------------------------------

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

// --- The hooks' side (capi_bridge.cpp) ---------------------------------------------

enum class CWait : uint8_t { kNone, kMutex, kGil };

// The calling thread starts waiting on a C mutex (lock) or the GIL at site.
void EnterWait(CWait kind, const PyraceCSite& site, void* lock, bool holds_gil, StackId stack);
// The calling thread's wait is over: it got `acquired` (a C mutex), the GIL (null), or
// gave up (null). While frozen, a thread holding the GIL parks here until the thaw.
void LeaveWait(void* acquired);
// lock's hold ended (any thread may release a PyThread lock).
void Released(void* lock);
// Whether waits at site go in the record: a read-write lock's many holders do not fit.
bool TrackedWait(const PyraceCSite& site);
// PyMutex_Lock (3.13) lets the GIL go while it waits.
bool LetsGilGoWhileWaiting(const PyraceCSite& site);

// pthread_atfork: the record's mutex is taken before the bridge's queue mutex.
void LockWaitRecordBeforeFork();
void UnlockWaitRecordInParent();
void ResetWaitRecordInChild();  // only the forking thread's waits and holds live on

}  // namespace pyrace::py
