// The lock and thread state every detector reads: which thread holds which lock (with
// the stack of the acquire), RLock levels, which threads have exited. The Analyzer
// applies each event after the detectors have seen it, so a detector's OnEvent sees
// the state just *before* the event (the held set an acquire happens under, the
// holder a release takes the lock from).
//
// A plain Lock used as a signal (see LockRecord::signal) keeps a nominal holder but
// is not in anyone's held list: holding it orders nothing and forgetting it is normal.
//
// Dense vectors indexed by LockId and Tid; the acquire/release path does not allocate
// once a thread's held list has reached its working size.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "runtime/model/event.h"
#include "runtime/model/symbols.h"

namespace pyrace {

// Ids come from the trace; an absurd one must not make a detector allocate gigabytes.
// Events naming larger lock or thread ids are ignored by the dense tables.
inline constexpr uint64_t kMaxDenseId = uint64_t{1} << 26;

struct HeldLock {
  LockId lock = 0;
  StackId acquire_stack = kNoStack;
  uint8_t flags = 0;  // the acquire's flags (kFlagTry, kFlagTimed)
  uint64_t seq = 0;   // index of the acquire event in the stream
};

struct LockRecord {
  LockKind kind = LockKind::kLock;
  Tid holder = kNoTid;
  uint32_t level = 0;  // RLock recursion level; 1 for a held plain Lock
  StackId acquire_stack = kNoStack;  // the outermost acquire of the current hold
  uint64_t acquire_seq = 0;
  // Used as a binary semaphore, not a mutex: released by a thread that did not hold
  // it, or acquired (or tried: a failed try counts too) again by its own holder,
  // which waits for someone else's release, or "created locked" (`done = Lock();
  // done.acquire()`: the creating thread's next lock operation, in the same function).
  // Condition.wait's waiter locks work like that and are left locked when dropped.
  // Signal locks never join a thread's held list and have no missed release.
  bool signal = false;
  bool ever_acquired = false;
};

class LockState {
 public:
  void Apply(const Event& e, uint64_t seq, const Symbols& syms);

  Tid Holder(LockId l) const { return l < locks_.size() ? locks_[l].holder : kNoTid; }
  const LockRecord* Lock(LockId l) const { return l < locks_.size() ? &locks_[l] : nullptr; }
  LockKind Kind(LockId l, const Symbols& syms) const;

  // Locks held by t, oldest first.
  std::span<const HeldLock> Held(Tid t) const;
  const HeldLock* FindHeld(Tid t, LockId l) const;

  // Whether this acquire shows the lock is (or now becomes) a signal, judged on the
  // state before it: detectors skip such acquires (a semaphore's token orders nothing).
  bool AcquireMakesSignal(const Event& e, const Symbols& syms) const;

  bool Started(Tid t) const { return t < threads_.size() && threads_[t].started; }
  bool Exited(Tid t) const { return t < threads_.size() && threads_[t].exited; }

  // The stream is of a trace format that records how its process ended (2.1 on,
  // kProcessEnd): from then on EndedNormally() waits for that event.
  void ExpectProcessEnd() { end_expected_ = true; }
  // Whether the process ended by its own doing, so that what its threads still held was
  // kept, not cut off by a kill. Streams that cannot tell (older traces, synthetic
  // ones) count as ended so.
  bool EndedNormally() const { return !end_expected_ || end_recorded_; }

  size_t lock_count() const { return locks_.size(); }
  size_t thread_count() const { return threads_.size(); }

 private:
  struct ThreadRecord {
    std::vector<HeldLock> held;
    bool started = false;
    bool exited = false;
    LockId just_created = UINT32_MAX;  // created by the thread's last lock operation
  };

  LockRecord& LockAt(LockId l, const Symbols& syms);
  ThreadRecord& ThreadAt(Tid t);
  void OnCreate(const Event& e);
  void OnAcquired(const Event& e, uint64_t seq, const Symbols& syms);
  void OnRelease(const Event& e, const Symbols& syms);
  void OnTryFailed(const Event& e, const Symbols& syms);
  void DropHeld(Tid t, LockId l);
  static bool CreatedLocked(const Event& e, const Symbols& syms);

  std::vector<LockRecord> locks_;
  std::vector<ThreadRecord> threads_;
  bool end_expected_ = false;  // ExpectProcessEnd
  bool end_recorded_ = false;  // a kProcessEnd came
};

}  // namespace pyrace
