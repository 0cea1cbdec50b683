// Randomized checks: the detectors survive any decodable stream, and programs that
// respect one global lock order never get a lock-order report — while a single
// reversed nesting in another thread always does.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "tests/runtime/analysis/script.h"

namespace pyrace::testing {
namespace {

TEST(Property, ArbitraryStreamsDoNotCrash) {
  const EventKind kinds[] = {
      EventKind::kThreadStart,   EventKind::kThreadExit,       EventKind::kThreadJoin,
      EventKind::kLockCreate,    EventKind::kLockAcquired,     EventKind::kLockTryFailed,
      EventKind::kLockRelease,   EventKind::kLockHeldAtFrameEnd, EventKind::kHandoffSend,
      EventKind::kHandoffRecv,   EventKind::kDeadlockBegin,    EventKind::kDeadlockWait,
      EventKind::kThreadStack,   EventKind::kDeadlockEnd,      EventKind::kGilNotHeld};
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    std::mt19937_64 rng(seed);
    Script s;
    for (int i = 0; i < 6; ++i) s.NewLock("f.py", 1 + i % 3, i % 2 ? LockKind::kRLock : LockKind::kLock);
    for (int i = 0; i < 3000; ++i) {
      ThreadScript t = s.T(static_cast<Tid>(rng() % 6));
      EventKind k = kinds[rng() % std::size(kinds)];
      LockId l = static_cast<LockId>(rng() % 9);  // includes the GIL and unknown locks
      switch (k) {
        case EventKind::kLockAcquired:
          (rng() % 4 == 0 ? t.ReLock(l) : rng() % 5 == 0 ? t.TryLock(l) : t.Lock(l));
          break;
        case EventKind::kLockRelease: (rng() % 4 == 0 ? t.BadUnlock(l) : t.Unlock(l)); break;
        case EventKind::kLockTryFailed: t.TryFail(l); break;
        case EventKind::kLockHeldAtFrameEnd: t.FrameEnd(l, rng() % 2); break;
        case EventKind::kThreadStart: t.Start(static_cast<Tid>(rng() % 6)); break;
        case EventKind::kThreadExit: t.Exit(); break;
        case EventKind::kDeadlockBegin: s.DeadlockBegin(); break;
        case EventKind::kDeadlockEnd: s.DeadlockEnd(); break;
        case EventKind::kDeadlockWait:
          (rng() % 2 ? t.WaitsLock(l) : t.WaitsJoin(static_cast<Tid>(rng() % 8)));
          break;
        default: t.StackHere(); break;
      }
      s.T(0).At("f.py", static_cast<uint32_t>(rng() % 50), "g");
    }
    AnalysisOptions opts;
    opts.lock_class_view = seed % 2 == 0;
    std::vector<Finding> found = s.Analyze(opts);
    for (const Finding& f : found) {
      EXPECT_FALSE(f.message.empty());
      EXPECT_GE(f.count, 1u);
    }
  }
}

// Threads run critical sections that nest locks in increasing id order only; some
// acquires are try-locks out of order (which back off safely), some are RLock
// re-entries. Interleaved at random like the GIL would.
Script OrderedProgram(uint64_t seed, int threads, int locks) {
  std::mt19937_64 rng(seed);
  Script s;
  std::vector<LockId> ids;
  for (int i = 0; i < locks; ++i) ids.push_back(s.NewLock("o.py", 1 + i, i % 4 == 3 ? LockKind::kRLock : LockKind::kLock));
  std::vector<std::vector<LockId>> held(threads + 1);
  for (int step = 0; step < 20000; ++step) {
    Tid t = 1 + static_cast<Tid>(rng() % threads);
    std::vector<LockId>& h = held[t];
    LockId top = h.empty() ? 0 : h.back();
    uint64_t roll = rng() % 10;
    if (roll < 4 && top < ids.back()) {
      // Take a lock above everything held, unless another thread holds it (it would block).
      LockId next = top + 1 + static_cast<LockId>(rng() % (ids.back() - top));
      bool busy = false;
      for (const auto& other : held) busy = busy || std::count(other.begin(), other.end(), next);
      if (busy) continue;
      s.T(t).Lock(next).At("o.py", 100 + next, "work");
      h.push_back(next);
    } else if (roll < 5 && !h.empty()) {
      // A try-lock of any lock it does not hold itself (a holder probing its own
      // Lock makes it a signal, see lock_state.h); it backs off when it fails.
      LockId any = ids[rng() % ids.size()];
      if (std::count(h.begin(), h.end(), any)) continue;
      bool busy = false;
      for (const auto& other : held) busy = busy || std::count(other.begin(), other.end(), any);
      if (busy) {
        s.T(t).TryFail(any).At("o.py", 200 + any, "work");
      } else {
        s.T(t).TryLock(any).At("o.py", 200 + any, "work").Unlock(any).At("o.py", 300 + any, "work");
      }
    } else if (roll < 6 && !h.empty() && s.symbols().locks[h.back()].kind == LockKind::kRLock) {
      s.T(t).ReLock(h.back()).At("o.py", 400, "work").ReUnlock(h.back()).At("o.py", 401, "work");
    } else if (!h.empty()) {
      s.T(t).Unlock(h.back()).At("o.py", 500 + h.back(), "work");
      h.pop_back();
    }
  }
  return s;
}

TEST(Property, OneGlobalOrderNeverReportsInversions) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    Script s = OrderedProgram(seed, 4, 8);
    for (bool by_class : {false, true}) {
      AnalysisOptions opts;
      opts.lock_class_view = by_class;
      EXPECT_TRUE(OfKind(s.Analyze(opts), FindingKind::kLockOrderInversion).empty())
          << "seed " << seed << " class view " << by_class;
    }
  }
}

TEST(Property, OneReversedNestingInAnotherThreadIsAlwaysReported) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    Script s = OrderedProgram(seed, 4, 8);
    // Find a pair some thread nested in order, and reverse it in a new thread.
    std::vector<LockId> held;
    LockId outer = 0, inner = 0;
    for (const Event& e : s.events()) {
      if (e.tid != 1 || (e.flags & (kFlagTry | kFlagReentrant))) continue;
      if (e.kind == EventKind::kLockAcquired) {
        if (!held.empty() && outer == 0) {
          outer = held.back();
          inner = static_cast<LockId>(e.obj);
        }
        held.push_back(static_cast<LockId>(e.obj));
      } else if (e.kind == EventKind::kLockRelease) {
        auto it = std::find(held.begin(), held.end(), static_cast<LockId>(e.obj));
        if (it != held.end()) held.erase(it);  // try-locked ones were never pushed
      }
    }
    ASSERT_NE(outer, 0u) << "seed " << seed;
    s.T(9).Lock(inner).At("r.py", 1, "reverse").Lock(outer).At("r.py", 2, "reverse");
    auto found = OfKind(s.Analyze(), FindingKind::kLockOrderInversion);
    ASSERT_FALSE(found.empty()) << "seed " << seed;
    bool closed_here = std::any_of(found.begin(), found.end(), [](const Finding& f) {
      return Primary(f) == "r.py:2";
    });
    EXPECT_TRUE(closed_here) << "seed " << seed;
  }
}

}  // namespace
}  // namespace pyrace::testing
