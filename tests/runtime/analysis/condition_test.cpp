// threading.Condition.wait as the recorder sees it: a fresh waiter Lock acquired by
// the waiting thread, released by the notifier, acquired again by the waiter and left
// locked when dropped. Waiter locks are signals, not mutexes: no findings, and they
// must not pile up in the waiter's held list.
#include <gtest/gtest.h>

#include "runtime/analysis/lock_graph.h"
#include "runtime/analysis/lock_state.h"
#include "tests/runtime/analysis/script.h"

namespace pyrace::testing {
namespace {

void NotifiedWait(Script& s, LockId cond, LockId waiter, Tid t, Tid notifier) {
  s.T(t).Lock(cond).At("app.py", 10, "consume");
  s.T(t).Lock(waiter).At("threading.py", 320, "Condition.wait");
  s.T(t).Unlock(cond).At("threading.py", 322, "Condition.wait");  // _release_save
  s.T(notifier).Lock(cond).At("app.py", 20, "produce");
  s.T(notifier).Unlock(waiter).At("threading.py", 370, "Condition.notify");
  s.T(notifier).Unlock(cond).At("app.py", 22, "produce");
  s.T(t).Lock(waiter).At("threading.py", 324, "Condition.wait");
  s.T(t).Lock(cond).At("threading.py", 330, "Condition.wait");  // _acquire_restore
  s.T(t).FrameEnd(waiter).At("threading.py", 331, "Condition.wait");
  s.T(t).Unlock(cond).At("app.py", 12, "consume");
}

TEST(Condition, NotifiedWaitIsClean) {
  Script s;
  LockId cond = s.NewLock("app.py", 1);
  LockId waiter = s.NewLock("threading.py", 318);
  NotifiedWait(s, cond, waiter, 1, 2);
  s.T(1).Exit();
  s.T(2).Exit();
  EXPECT_TRUE(s.Analyze().empty());
}

TEST(Condition, TimedOutWaitIsClean) {
  Script s;
  LockId cond = s.NewLock("app.py", 1);
  LockId waiter = s.NewLock("threading.py", 318);
  s.T(1).Lock(cond).At("app.py", 10, "consume");
  s.T(1).Lock(waiter).At("threading.py", 320, "Condition.wait");
  s.T(1).Unlock(cond).At("threading.py", 322, "Condition.wait");
  s.T(1).TryFail(waiter).At("threading.py", 326, "Condition.wait");
  s.T(1).Lock(cond).At("threading.py", 330, "Condition.wait");
  s.T(1).FrameEnd(waiter).At("threading.py", 331, "Condition.wait");
  s.T(1).Unlock(cond).At("app.py", 12, "consume").Exit();
  EXPECT_TRUE(s.Analyze().empty());
}

TEST(Condition, WaiterLocksDoNotPileUpInTheHeldList) {
  Script s;
  LockId cond = s.NewLock("app.py", 1);
  for (int i = 0; i < 200; ++i) NotifiedWait(s, cond, s.NewLock("threading.py", 318), 1, 2);
  LockState state;
  for (size_t i = 0; i < s.events().size(); ++i) state.Apply(s.events()[i], i, s.symbols());
  EXPECT_EQ(state.Held(1).size(), 0u);
  EXPECT_EQ(state.Held(2).size(), 0u);
}

TEST(Condition, AMutexLeftHeldIsStillMissedNextToConditionWaits) {
  Script s;
  LockId cond = s.NewLock("app.py", 1);
  LockId mutex = s.NewLock("app.py", 2);
  s.T(1).Lock(mutex).At("app.py", 30, "leaky").FrameEnd(mutex).At("app.py", 31, "leaky");
  NotifiedWait(s, cond, s.NewLock("threading.py", 318), 1, 2);
  s.T(1).Exit();
  auto found = OfKind(s.Analyze(), FindingKind::kMissedRelease);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "app.py:30");
}

}  // namespace
}  // namespace pyrace::testing

namespace pyrace::testing {
namespace {

TEST(Condition, RLockRestoredByAcquireRestoreStaysHeldThroughInnerReleases) {
  // with r: with r: cond.wait()  — _release_save frees both levels, _acquire_restore
  // takes them back in one acquire event; the inner `with` exit is a re-entrant release.
  Script s;
  LockId r = s.NewRLock("app.py", 1), other = s.NewLock("app.py", 2);
  s.T(1).Lock(r).At("app.py", 10).ReLock(r).At("app.py", 11);
  s.T(1).Unlock(r).At("threading.py", 322, "Condition._release_save");
  s.T(1).Lock(r).At("threading.py", 330, "Condition._acquire_restore");
  s.T(1).ReUnlock(r).At("app.py", 12);
  s.T(1).Lock(other).At("app.py", 13).Unlock(other);  // still under r
  s.T(1).Unlock(r).At("app.py", 14).Exit();
  s.T(2).Lock(other).At("app.py", 20).Lock(r).At("app.py", 21).Unlock(r).Unlock(other).Exit();
  auto all = s.Analyze();
  auto found = OfKind(all, FindingKind::kLockOrderInversion);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "app.py:21");
  EXPECT_TRUE(OfKind(all, FindingKind::kBadRelease).empty());
  EXPECT_TRUE(OfKind(all, FindingKind::kMissedRelease).empty());
}

}  // namespace
}  // namespace pyrace::testing

namespace pyrace::testing {
namespace {

TEST(Condition, WaiterLocksAddNoGraphEdges) {
  // Each Condition.wait creates a waiter and takes it under the condition's lock; a
  // signal lock is never held, so it can never be on a cycle and needs no edge.
  Script s;
  LockId cond = s.NewLock("app.py", 1);
  for (int i = 0; i < 50; ++i) {
    s.T(1).Lock(cond).At("app.py", 10, "consume");
    LockId waiter = s.NewLockBy(1, "app.py", 11, "consume");
    s.T(1).Lock(waiter).At("app.py", 11, "consume");  // creator's next operation, same function
    s.T(1).Unlock(cond).At("app.py", 12, "consume");
    s.T(2).Unlock(waiter).At("app.py", 20, "produce");
  }
  LockState state;
  LockGraph graph(false);
  // Drive the graph the way LockOrderDetector does.
  for (size_t i = 0; i < s.events().size(); ++i) {
    const Event& e = s.events()[i];
    if (e.kind == EventKind::kLockAcquired && !state.AcquireMakesSignal(e, s.symbols())) {
      graph.OnAcquire(e.tid, static_cast<LockId>(e.obj), e.stack, e.flags, state.Held(e.tid), true, i,
                      s.symbols());
    }
    state.Apply(e, i, s.symbols());
  }
  EXPECT_EQ(graph.edges().size(), 0u);
}

}  // namespace
}  // namespace pyrace::testing
