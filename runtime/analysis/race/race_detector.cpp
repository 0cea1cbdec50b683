#include "runtime/analysis/race/race_detector.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <unordered_map>

#include "runtime/analysis/describe.h"
#include "runtime/analysis/vector_clock.h"
#include "runtime/analysis/race/lockset.h"
#include "runtime/analysis/race/race_record.h"
#include "runtime/analysis/race/shadow.h"

namespace pyrace::race {
namespace {

// A thread's happens-before clock and the interned set of locks it holds (derived from
// the shared LockState's held list; recomputed after a lock event touched the thread).
struct ThreadClock {
  VectorClock clock;
  LocksetId locks = kEmptyLockset;
  bool locks_stale = false;
};

// The race detector's own part of a lock (TSan's SyncVar clock): the releasing thread's
// clock at the last release. Who holds it, at what level, and whether it is used as a
// signal is the shared LockState's.
struct ReleaseClock {
  VectorClock released;
};

bool IsWrite(const Access& a) { return (a.flags & kFlagWrite) != 0; }
bool IsRmw(const Access& a) { return (a.flags & kFlagReadModifyWrite) != 0; }
// `k in d`, `d.get(k)`: a read that decides whether to write (RMW flag on a read).
bool IsCheck(const Access& a) { return IsRmw(a) && !IsWrite(a); }
// Two atomic updates that commute (append/append, add/add, inserts of different keys)
// lose nothing in either order: no race between them (docs/races.md).
bool Commute(const Access& a, const Access& b) { return (a.flags & b.flags & kFlagCommutes) != 0; }
bool IsCommuting(const Access& a) { return Commute(a, a); }

// A shape read (iteration, len, a copy) against a write of the shape.
bool IsShapeRead(const Access& a) { return (a.flags & kFlagShape) != 0 && !IsWrite(a); }

RaceClass Classify(const Access& cur, const Access& prev, const Access& check) {
  bool both_write = IsWrite(cur) && IsWrite(prev);
  if (both_write && (IsRmw(cur) || IsRmw(prev))) return RaceClass::kLostUpdate;
  if (IsWrite(cur) && check.valid()) return RaceClass::kCheckThenAct;
  if (both_write) return RaceClass::kConflictingWrites;
  if (IsShapeRead(cur) || IsShapeRead(prev)) return RaceClass::kSizeChange;
  return RaceClass::kPublication;
}

// Which of two racing accesses a report is about, whatever order the threads ran them
// in (so `# pyrace: ignore` on its line and baselines hold from run to run): the read,
// where the unsynchronized value or size is seen; else the read-modify-write, whose
// update is the one lost; else the order-dependent write (a pop against an append);
// else the access whose site comes first in the source.
int PrimaryRank(const Access& a) { return !IsWrite(a) ? 0 : IsRmw(a) ? 1 : IsCommuting(a) ? 3 : 2; }
bool IsPrimary(const Access& a, const Access& b, const Symbols& syms) {
  if (PrimaryRank(a) != PrimaryRank(b)) return PrimaryRank(a) < PrimaryRank(b);
  SourceLocation la = TopLocation(syms, a.stack), lb = TopLocation(syms, b.stack);
  if (la.file != lb.file) return la.file < lb.file;
  if (la.line != lb.line) return la.line < lb.line;
  return SiteKey(syms, a.stack) <= SiteKey(syms, b.stack);
}

}  // namespace

struct RaceDetector::Impl {
  explicit Impl(const RaceOptions& o) : opts(o), shadow(o.shadow_capacity) {}

  RaceOptions opts;
  ShadowMemory shadow;
  LocksetTable locksets;
  std::vector<ThreadClock> threads;
  std::vector<ReleaseClock> locks;
  std::unordered_map<SyncId, VectorClock> channels;
  std::vector<RaceRecord> records;
  std::map<std::string, size_t> record_index;  // dedup key -> records[i]
  std::set<std::string> absorbed;              // keys told by a check-then-act report
  uint64_t seq = 0;
  uint64_t accesses = 0;
  uint64_t races = 0;

  ThreadClock& Thread(Tid t) {
    if (t >= threads.size()) threads.resize(t + 1);
    ThreadClock& ts = threads[t];
    // A thread's own component starts at 1 so that epoch 0 means "never".
    if (ts.clock.Get(t) == 0) ts.clock.Set(t, 1);
    return ts;
  }
  ReleaseClock& Lock(LockId l) {
    if (l >= locks.size()) locks.resize(l + 1);
    return locks[l];
  }

  // Locks that order nothing and guard nothing here: the GIL (code correct only
  // because of its switch interval is a lost update waiting to happen), and the
  // synchronization modules' own bookkeeping locks (threading's `_active_limbo_lock`,
  // `_shutdown_locks_lock`: made while the module body ran). A thread takes those at
  // its end and the next Thread.start() or enumerate() takes them too: as edges they
  // would order a finished thread before every later thread and hide the races
  // between them. They were invisible anyway on interpreters that import threading
  // before pyrace's wrappers exist (pyenv's 3.11); now everywhere.
  bool Ignored(LockId l, const Symbols& syms) {
    if (l == kGilLock) return true;
    if (ignored.size() <= l) ignored.resize(static_cast<size_t>(l) + 1, kUnknown);
    uint8_t& known = ignored[l];
    if (known == kUnknown) {
      bool gil = l < syms.locks.size() && syms.locks[l].kind == LockKind::kGil;
      known = gil || IsMachineryModuleLock(syms, l) ? 1 : 0;
    }
    return known == 1;
  }
  static constexpr uint8_t kUnknown = 2;
  std::vector<uint8_t> ignored;  // by LockId: 1 = ignored, 0 = not, 2 = not yet known

  // A lock event changes the held lists of the thread doing it and of the lock's
  // holder before it (an acquire that finds it held, a release by another thread).
  void MarkLocksStale(const Event& e, const LockState& state) {
    Thread(e.tid).locks_stale = true;
    Tid holder = state.Holder(static_cast<LockId>(e.obj));
    if (holder != kNoTid && holder != e.tid) Thread(holder).locks_stale = true;
  }

  // The thread's lock set as the shared LockState has it after the last lock event.
  LocksetId CurrentLocks(Tid t, const LockState& state, const Symbols& syms) {
    ThreadClock& ts = Thread(t);
    if (!ts.locks_stale) return ts.locks;
    LocksetId set = kEmptyLockset;
    for (const HeldLock& h : state.Held(t)) {
      if (!Ignored(h.lock, syms)) set = locksets.With(set, h.lock);
    }
    ts.locks = set;
    ts.locks_stale = false;
    return set;
  }

  void OnThreadStart(const Event& e) {
    Tid child = static_cast<Tid>(e.obj);
    VectorClock parent = Thread(e.tid).clock;
    Thread(child).clock.Join(parent);
    Thread(e.tid).clock.Tick(e.tid);
  }
  void OnThreadJoin(const Event& e) {
    VectorClock child = Thread(static_cast<Tid>(e.obj)).clock;
    Thread(e.tid).clock.Join(child);
  }
  void OnLockAcquired(const Event& e) { Thread(e.tid).clock.Join(Lock(static_cast<LockId>(e.obj)).released); }
  void OnLockRelease(const Event& e) {
    // An failed release released nothing; a lock freed while held was released by
    // nobody: no edge (the hold just ends, in the LockState).
    if (e.flags & (kFlagError | kFlagFreed)) return;
    ThreadClock& ts = Thread(e.tid);
    Lock(static_cast<LockId>(e.obj)).released = ts.clock;
    ts.clock.Tick(e.tid);
  }
  void OnHandoffSend(const Event& e) {
    ThreadClock& ts = Thread(e.tid);
    channels[e.obj].Join(ts.clock);
    ts.clock.Tick(e.tid);
  }
  void OnHandoffRecv(const Event& e) {
    auto it = channels.find(e.obj);
    if (it != channels.end()) Thread(e.tid).clock.Join(it->second);
  }

  void UpdateGuard(Cell& c, LocksetId held) {
    if (held == kEmptyLockset) return;
    c.guard = c.guard == kGuardUnset ? held : locksets.Intersect(c.guard, held);
  }

  void OnAccess(const Event& e, const Symbols& syms, const LockState& state) {
    ++accesses;
    LocksetId held = CurrentLocks(e.tid, state, syms);
    ThreadClock& ts = Thread(e.tid);
    LocId loc = e.obj;
    uint64_t object = loc < syms.locations.size() ? syms.locations[loc].object : 0;
    Cell& c = shadow.Get(loc, object);
    Access cur{e.tid, ts.clock.Get(e.tid), e.stack, held, e.flags, seq++};
    UpdateGuard(c, held);
    if (IsWrite(cur)) {
      OnWrite(c, cur, ts, loc, syms);
    } else {
      OnRead(c, cur, ts, loc, syms);
    }
  }

  void OnWrite(Cell& c, const Access& cur, const ThreadClock& ts, LocId loc, const Symbols& syms) {
    if (c.write.tid == cur.tid && c.write.clock == cur.clock && c.reads.empty() &&
        !(IsCommuting(c.write) && !IsCommuting(cur))) {
      return;
    }
    Access check;
    for (auto it = c.checks.begin(); it != c.checks.end(); ++it) {
      if (it->tid == cur.tid) {
        check = *it;
        c.checks.erase(it);
        break;
      }
    }
    bool racing_writes = c.write.valid() && c.write.tid != cur.tid && !ts.clock.Covers(c.write.epoch()) &&
                         !Commute(cur, c.write);
    if (racing_writes) {
      // The earlier write acted on its own check, which this write may have come
      // between: its check-then-act, as when this write comes first (then the check is
      // still in `reads` and is reported with it), not a plain conflict of the writes.
      bool earlier_acted =
          c.write_check.valid() && Classify(c.write, cur, c.write_check) == RaceClass::kCheckThenAct;
      if (!earlier_acted || Classify(cur, c.write, check) == RaceClass::kCheckThenAct) {
        Report(c, loc, cur, c.write, check, syms);
      }
      if (earlier_acted) {
        Report(c, loc, c.write, cur, c.write_check, syms);
        if (!ts.clock.Covers(c.write_check.epoch())) Report(c, loc, cur, c.write_check, Access{}, syms);
      }
    }
    for (const Access& r : c.reads) {
      if (r.tid != cur.tid && !ts.clock.Covers(r.epoch()) && !Commute(cur, r)) {
        Report(c, loc, cur, r, check, syms);
      }
    }
    // Commuting updates not ordered with this one (itself commuting) stay beside it, in
    // `reads` as writes: a later order-dependent access must be checked against each,
    // not only against the last.
    std::vector<Access> unordered;
    if (IsCommuting(cur)) {
      for (const Access& r : c.reads) {
        if (IsWrite(r) && r.tid != cur.tid && !ts.clock.Covers(r.epoch())) unordered.push_back(r);
      }
      if (c.write.valid() && IsCommuting(c.write) && c.write.tid != cur.tid &&
          !ts.clock.Covers(c.write.epoch())) {
        unordered.push_back(c.write);
      }
    }
    // A commuting update overwritten is not a value replaced: what its thread reads next
    // (a size, say) is made of both updates, a race of its own.
    c.overwritten = racing_writes && !IsCommuting(c.write) ? c.write.tid : kNoTid;
    c.write = cur;
    c.write_check = check;
    c.reads = std::move(unordered);
  }

  void OnRead(Cell& c, const Access& cur, const ThreadClock& ts, LocId loc, const Symbols& syms) {
    for (const Access& r : c.reads) {
      if (!IsWrite(r) && r.tid == cur.tid && r.clock == cur.clock) return;  // same epoch: nothing new
    }
    for (const Access& w : c.reads) {  // commuting updates kept beside the last write
      if (IsWrite(w) && w.tid != cur.tid && !ts.clock.Covers(w.epoch())) Report(c, loc, cur, w, Access{}, syms);
    }
    // This thread's own store raced with the last write and is reported with it; had the
    // two stores run the other way round it would be reading its own value now.
    bool after_own_racing_write = c.overwritten == cur.tid;
    if (c.write.valid() && c.write.tid != cur.tid && !ts.clock.Covers(c.write.epoch()) &&
        !after_own_racing_write) {
      if (IsCheck(cur) && c.write_check.valid()) {
        // Both threads check then act; this one found what the other stored. The bug is
        // the other's act, whichever thread got there first: report it there.
        Report(c, loc, c.write, cur, c.write_check, syms);
      } else {
        Report(c, loc, cur, c.write, Access{}, syms);
      }
    }
    // Reads ordered before this one can no longer race with a write this one cannot.
    std::erase_if(c.reads, [&](const Access& r) { return ts.clock.Covers(r.epoch()); });
    c.reads.push_back(cur);
    std::erase_if(c.checks, [&](const Access& r) { return r.tid == cur.tid; });
    c.checks.push_back(cur);
  }

  // One key per unordered pair of sites (as TSan suppresses a race whose two stacks it
  // saw in either order): which access came second is the run's accident.
  std::string Key(StrId desc, const Access& a, const Access& b, const Symbols& syms) const {
    std::string sa = SiteKey(syms, a.stack), sb = SiteKey(syms, b.stack);
    if (sb < sa) std::swap(sa, sb);
    return LocationClass(syms.str(desc)) + "\x1f" + sa + "\x1f" + sb;
  }
  // A check-then-act's sites have roles: the act and the check before it.
  std::string ActKey(StrId desc, const Access& act, const Access& check, const Symbols& syms) const {
    return LocationClass(syms.str(desc)) + "\x1f" + SiteKey(syms, act.stack) + "\x1f" +
           SiteKey(syms, check.stack) + "\x1f" "cta";
  }

  void Report(const Cell& c, LocId loc, const Access& cur, const Access& prev, const Access& check,
              const Symbols& syms) {
    ++races;
    StrId desc = loc < syms.locations.size() ? syms.locations[loc].description : 0;
    RaceClass cls = Classify(cur, prev, check);
    // Another thread's check racing with a write at this site is the same bug seen from
    // the other side (it found the key this write stored).
    if (cls == RaceClass::kCheckThenAct) Absorb(Key(desc, check, cur, syms));
    // A check-then-act is one bug per (act, check) sites, whichever access it raced with
    // (the other thread's check or its act).
    std::string key = cls == RaceClass::kCheckThenAct ? ActKey(desc, cur, check, syms) : Key(desc, cur, prev, syms);
    auto [it, inserted] = record_index.try_emplace(key, records.size());
    if (!inserted) {
      RaceRecord& r = records[it->second];
      ++r.count;
      if (r.guard == kGuardUnset) r.guard = c.guard;
      return;
    }
    RaceRecord r;
    r.absorbed = absorbed.count(key) != 0;
    r.loc = loc;
    r.description = desc;
    r.cls = cls;
    r.seen = std::max(cur.seq, prev.seq);
    // The act is a check-then-act's primary; otherwise the pair decides, not the order.
    bool swap = cls != RaceClass::kCheckThenAct && !IsPrimary(cur, prev, syms);
    r.current = swap ? prev : cur;
    r.previous = swap ? cur : prev;
    r.check = cls == RaceClass::kCheckThenAct ? check : Access{};
    r.guard = c.guard;
    records.push_back(r);
  }

  // The read of a check-then-act was itself reported against the same earlier write; the
  // check-then-act report shows that read, so the separate report would only repeat it.
  void Absorb(const std::string& key) {
    absorbed.insert(key);  // also for a later read at the same sites (another key of a dict)
    auto it = record_index.find(key);
    if (it != record_index.end()) records[it->second].absorbed = true;
  }
};

RaceDetector::RaceDetector(const RaceOptions& opts) : impl_(std::make_unique<Impl>(opts)) {}
RaceDetector::~RaceDetector() = default;

void RaceDetector::OnEvent(const Event& e, const Symbols& syms, const LockState& locks_before) {
  Impl& s = *impl_;
  switch (e.kind) {
    case EventKind::kThreadStart: s.OnThreadStart(e); break;
    case EventKind::kThreadJoin: s.OnThreadJoin(e); break;
    case EventKind::kLockAcquired:
      s.MarkLocksStale(e, locks_before);
      if (!s.Ignored(static_cast<LockId>(e.obj), syms)) s.OnLockAcquired(e);
      break;
    case EventKind::kLockTryFailed:
      s.MarkLocksStale(e, locks_before);
      break;
    case EventKind::kLockRelease:
      s.MarkLocksStale(e, locks_before);
      if (!s.Ignored(static_cast<LockId>(e.obj), syms)) s.OnLockRelease(e);
      break;
    case EventKind::kHandoffSend: s.OnHandoffSend(e); break;
    case EventKind::kHandoffRecv: s.OnHandoffRecv(e); break;
    case EventKind::kAccess: s.OnAccess(e, syms, locks_before); break;
    case EventKind::kObjectFree: s.shadow.FreeObject(e.obj); break;
    default: break;
  }
}

std::vector<Finding> RaceDetector::Finish(const Symbols& syms) {
  Impl& s = *impl_;
  std::vector<const RaceRecord*> live;
  for (const RaceRecord& r : s.records) {
    if (!r.absorbed) live.push_back(&r);
  }
  std::sort(live.begin(), live.end(), [](const RaceRecord* a, const RaceRecord* b) {
    return a->seen < b->seen;
  });
  std::vector<Finding> out;
  for (const RaceRecord* r : live) {
    if (static_cast<int>(out.size()) >= s.opts.max_findings) break;
    out.push_back(BuildRaceFinding(*r, s.locksets, syms));
  }
  if (!out.empty() && s.shadow.evicted() > 0) {
    out.front().notes.push_back(ShadowEvictionNote(s.shadow.evicted(), s.opts.shadow_capacity));
  }
  return out;
}

RaceStats RaceDetector::stats() const {
  return {impl_->accesses, impl_->races, impl_->shadow.evicted(), impl_->shadow.size()};
}

}  // namespace pyrace::race
