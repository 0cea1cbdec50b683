#include "runtime/analysis/lock_state.h"

#include "runtime/analysis/describe.h"

namespace pyrace {

LockKind LockState::Kind(LockId l, const Symbols& syms) const {
  if (l < locks_.size()) return locks_[l].kind;
  return l < syms.locks.size() ? syms.locks[l].kind : LockKind::kLock;
}

std::span<const HeldLock> LockState::Held(Tid t) const {
  if (t >= threads_.size()) return {};
  return threads_[t].held;
}

const HeldLock* LockState::FindHeld(Tid t, LockId l) const {
  for (const HeldLock& h : Held(t)) {
    if (h.lock == l) return &h;
  }
  return nullptr;
}

LockRecord& LockState::LockAt(LockId l, const Symbols& syms) {
  if (l >= locks_.size()) {
    size_t old = locks_.size();
    locks_.resize(static_cast<size_t>(l) + 1);
    // A lock first seen without its LockCreate (a trace cut at its start) still gets
    // its kind from the symbols when the reader knows it.
    for (size_t i = old; i < locks_.size(); ++i) {
      if (i < syms.locks.size()) locks_[i].kind = syms.locks[i].kind;
    }
  }
  return locks_[l];
}

LockState::ThreadRecord& LockState::ThreadAt(Tid t) {
  if (t >= threads_.size()) threads_.resize(static_cast<size_t>(t) + 1);
  return threads_[t];
}

void LockState::Apply(const Event& e, uint64_t seq, const Symbols& syms) {
  if (e.tid >= kMaxDenseId) return;
  // Not lock operations: `done = Lock()` writes `done` between the create and the
  // acquire, and must not hide that the acquire came right after the create.
  if (e.kind == EventKind::kAccess || e.kind == EventKind::kObjectFree) return;
  switch (e.kind) {
    case EventKind::kThreadStart:
      ThreadAt(e.tid).started = true;
      if (e.obj < kMaxDenseId) ThreadAt(static_cast<Tid>(e.obj)).started = true;
      break;
    case EventKind::kThreadExit:
      ThreadAt(e.tid).exited = true;
      break;
    case EventKind::kProcessEnd:
      end_recorded_ = true;
      break;
    case EventKind::kLockCreate:
      ThreadAt(e.tid);
      if (e.obj < kMaxDenseId) OnCreate(e);
      break;
    case EventKind::kLockAcquired:
      if (e.obj < kMaxDenseId) OnAcquired(e, seq, syms);
      break;
    case EventKind::kLockRelease:
      if (e.obj < kMaxDenseId && !(e.flags & kFlagError)) OnRelease(e, syms);
      break;
    case EventKind::kLockTryFailed:
      if (e.obj < kMaxDenseId) OnTryFailed(e, syms);
      break;
    default:
      break;
  }
  // Set after OnAcquired has used it: only the very next lock operation counts.
  if (e.tid < threads_.size()) {
    bool created = e.kind == EventKind::kLockCreate && e.obj < kMaxDenseId;
    threads_[e.tid].just_created = created ? static_cast<LockId>(e.obj) : UINT32_MAX;
  }
}

void LockState::OnCreate(const Event& e) {
  LockId l = static_cast<LockId>(e.obj);
  if (l >= locks_.size()) locks_.resize(static_cast<size_t>(l) + 1);
  locks_[l] = LockRecord{};
  locks_[l].kind = static_cast<LockKind>(e.aux);
}

bool LockState::AcquireMakesSignal(const Event& e, const Symbols& syms) const {
  if (e.obj >= locks_.size() || e.tid >= threads_.size()) return false;
  const LockRecord& rec = locks_[e.obj];
  if (rec.kind != LockKind::kLock || rec.signal) return rec.signal;
  if (rec.holder == e.tid) return true;
  return threads_[e.tid].just_created == e.obj && !rec.ever_acquired && CreatedLocked(e, syms);
}

void LockState::OnAcquired(const Event& e, uint64_t seq, const Symbols& syms) {
  LockId l = static_cast<LockId>(e.obj);
  LockRecord& rec = LockAt(l, syms);
  ThreadAt(e.tid);
  if (rec.holder == e.tid && (e.flags & kFlagReentrant)) {
    ++rec.level;
    return;
  }
  if (!rec.signal && AcquireMakesSignal(e, syms)) rec.signal = true;
  rec.ever_acquired = true;
  // Any other acquire of a lock we think is held means we missed its release (a
  // trace cut short); the recorder's word wins.
  if (rec.holder != kNoTid) DropHeld(rec.holder, l);
  rec.holder = e.tid;
  rec.level = 1;
  rec.acquire_stack = e.stack;
  rec.acquire_seq = seq;
  if (!rec.signal) threads_[e.tid].held.push_back(HeldLock{l, e.stack, e.flags, seq});
}

// The acquire right after the create (checked by the caller), by the creating thread,
// in the function that created the lock (the frames the user wrote: threading's
// factories are skipped).
bool LockState::CreatedLocked(const Event& e, const Symbols& syms) {
  LockId l = static_cast<LockId>(e.obj);
  if (l >= syms.locks.size() || syms.locks[l].creator != e.tid) return false;
  SourceLocation created = PrimaryLocation(syms, syms.locks[l].create_stack);
  SourceLocation acquired = PrimaryLocation(syms, e.stack);
  return !created.file.empty() && created.file == acquired.file &&
         created.function == acquired.function;
}

// The holder itself trying a plain Lock again (Condition.wait with a timeout that
// expired) waits for another thread's release: a signal, no longer a held mutex.
void LockState::OnTryFailed(const Event& e, const Symbols& syms) {
  LockId l = static_cast<LockId>(e.obj);
  LockRecord& rec = LockAt(l, syms);
  if (rec.holder != e.tid || rec.kind == LockKind::kRLock) return;
  rec.signal = true;
  DropHeld(e.tid, l);
}

// The recorder marks an RLock release that leaves it held with kFlagReentrant; any
// other release frees the lock completely (that is also what Condition.wait's
// _release_save does to an RLock at any level).
void LockState::OnRelease(const Event& e, const Symbols& syms) {
  LockRecord& rec = LockAt(static_cast<LockId>(e.obj), syms);
  if (rec.holder == kNoTid) return;
  if (rec.holder != e.tid && rec.kind != LockKind::kRLock && !(e.flags & kFlagFreed)) rec.signal = true;
  if (e.flags & kFlagReentrant) {
    // Still held. Our level may be low when an RLock came back from
    // Condition.wait's _acquire_restore (one acquire event for several levels).
    if (rec.level > 1) --rec.level;
    return;
  }
  DropHeld(rec.holder, static_cast<LockId>(e.obj));
  rec.holder = kNoTid;
  rec.level = 0;
  rec.acquire_stack = kNoStack;
}

void LockState::DropHeld(Tid t, LockId l) {
  if (t >= threads_.size()) return;
  std::vector<HeldLock>& held = threads_[t].held;
  for (size_t i = held.size(); i-- > 0;) {
    if (held[i].lock == l) {
      held.erase(held.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
  }
}

}  // namespace pyrace
