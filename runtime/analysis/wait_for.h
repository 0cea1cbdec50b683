// The deadlock watchdog's decision, as a pure function of a snapshot of who waits on
// what. No Python here: the runtime builds the snapshot under the GIL and acts on the
// verdict; the unit tests feed it snapshots directly.
//
// A thread is stuck when it has been blocked without a timeout for at least the
// grace period and nothing that could still run can free it. The stuck set is the
// largest set of blocked threads closed under these rules (a greatest fixpoint):
//   - waiting on a lock held by a live thread: stuck while that holder is stuck
//     (two or more such threads waiting on each other form a cycle);
//   - joining a live thread: stuck while that thread is stuck;
//   - waiting on an RLock whose owner exited: stuck (only the owner could release it);
//   - waiting on a plain Lock it holds itself or whose holder exited, on a hand-off
//     (queue get), or joining all threads at shutdown: stuck only while every other
//     live thread is stuck, since any thread may release a plain Lock (a Condition's
//     waiter lock is released by the notifier), put to a queue or finish.
//   - waiting for the GIL (LockKind::kGil, a C thread in PyGILState_Ensure): stuck
//     while the GIL's one live holder is stuck, or when it is the waiter itself; a GIL
//     whose holder is not known (held by a thread running Python) is not a wait
//     anyone is stuck on;
//   - C mutexes (LockKind::kCMutex) follow the plain Lock rules: a PyThread lock may
//     be released by any thread.
// Threads the runtime does not know (started by C code) and threads waiting with a
// timeout are never stuck and count as able to run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/model/event.h"

namespace pyrace::wait_for {

// What the watchdog saw of one thread and one lock at one instant (the analyses' lock
// table is runtime/analysis/lock_state.h; this is the watchdog's own copy, taken while the
// program runs).
struct ThreadSnapshot {
  Tid tid = 0;
  bool daemon = false;
  bool waiting = false;      // blocked in a wrapped operation
  WaitKind kind = WaitKind::kLock;
  uint64_t obj = 0;          // LockId, Tid or SyncId by kind
  bool timed = false;
  uint64_t since_us = 0;
};

struct LockSnapshot {
  LockId id = 0;
  LockKind kind = LockKind::kLock;
  bool held = false;
  Tid holder = kNoTid;       // meaningful when held; may be a thread no longer live
};
// The GIL is LockSnapshot{kGilLock, LockKind::kGil, held, holder}: held only when its
// holder is known for certain (a thread blocked in C with the GIL held).

struct Snapshot {
  uint64_t now_us = 0;
  std::vector<ThreadSnapshot> threads;  // live threads only
  std::vector<LockSnapshot> locks;      // at least the locks threads wait on
  int unknown_running = 0;              // live Python threads the runtime does not track
};

enum class Reason : uint8_t {
  kNone = 0,
  kCycle,             // threads waiting on each other (locks, joins)
  kRLockOwnerExited,  // an RLock whose owner thread ended without releasing it
  kLockHolderExited,  // a plain Lock whose holder ended, and no one else can release it
  kSelfWait,          // a thread waiting on a plain Lock it holds, no one else can release it
  kAllBlocked,        // every live thread waits (joins, hand-offs) on something no one will do
};

const char* ReasonText(Reason r);

struct Verdict {
  Reason reason = Reason::kNone;
  // Stuck threads, the one whose wait explains the hang first: cycle members in
  // cycle order from the lowest tid, then lock waiters, then joins and hand-offs.
  std::vector<Tid> stuck;
  std::vector<Tid> cycle;  // kCycle: the threads of one cycle, each waiting on the next
  bool deadlock() const { return reason != Reason::kNone; }
};

Verdict Analyze(const Snapshot& snap, uint64_t grace_us);

}  // namespace pyrace::wait_for
