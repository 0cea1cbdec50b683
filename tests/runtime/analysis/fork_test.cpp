// fork-with-held-lock: the lock state at a kFork event. The child keeps only the
// forking thread, so a lock any other thread holds at that moment stays locked there.
#include <gtest/gtest.h>

#include "tests/runtime/analysis/script.h"

namespace pyrace::testing {
namespace {

std::vector<Finding> ForkFindings(Script& s) { return OfKind(s.Analyze(), FindingKind::kForkWithHeldLock); }

TEST(Fork, AnotherThreadHoldsALock) {
  Script s;
  LockId l = s.NewLock("w.py", 3);
  s.NameLock(l, "cache_lock");
  s.T(0).Start(1).At("w.py", 20, "main");
  s.T(1).Lock(l).At("w.py", 8, "worker");
  s.T(0).Fork().At({{"w.py", 22, "main"}});
  s.T(1).Unlock(l);
  auto found = ForkFindings(s);
  ASSERT_EQ(found.size(), 1u);
  const Finding& f = found[0];
  EXPECT_EQ(Primary(f), "w.py:22");
  EXPECT_EQ(f.severity, Severity::kError);
  EXPECT_EQ(f.message,
            "fork-with-held-lock: MainThread forks while cache_lock (L1) is held by Thread-1: the child "
            "inherits it locked and has no thread that could release it");
  ASSERT_GE(f.sections.size(), 4u);
  EXPECT_EQ(f.sections[0].title, "Fork by thread T0 (MainThread):");
  EXPECT_EQ(f.sections[0].frames.at(0).line, 22u);
  EXPECT_EQ(f.sections[1].title, "Lock cache_lock (L1) acquired here by thread T1 (Thread-1), which holds it at the fork:");
  EXPECT_EQ(f.sections[1].frames.at(0).line, 8u);
  EXPECT_NE(Titles(f).find("Lock cache_lock (L1) created at:"), std::string::npos);
  EXPECT_NE(Titles(f).find("Thread T1 (Thread-1) started at:"), std::string::npos);
  ASSERT_EQ(f.notes.size(), 1u);
}

TEST(Fork, MultiprocessingForkPointsAtTheUsersCall) {
  Script s;
  LockId l = s.NewLock("w.py", 3);
  s.T(1).Lock(l).At("w.py", 8, "worker");
  s.T(0).Fork().At({{"/usr/lib/python3.11/multiprocessing/popen_fork.py", 66, "_launch"},
                    {"/usr/lib/python3.11/multiprocessing/process.py", 121, "start"},
                    {"w.py", 30, "main"}});
  auto found = ForkFindings(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "w.py:30");
  EXPECT_EQ(found[0].sections[0].frames.at(0).line, 66u);  // the section keeps every frame
}

TEST(Fork, NothingHeld) {
  Script s;
  LockId l = s.NewLock("w.py", 3);
  s.T(1).Lock(l).At("w.py", 8).Unlock(l);
  s.T(0).Fork().At("w.py", 22);
  EXPECT_TRUE(ForkFindings(s).empty());
}

TEST(Fork, TheForkingThreadsOwnLockIsNoFinding) {
  // The child's only thread is the forking one, which goes on to release it.
  Script s;
  LockId l = s.NewLock("w.py", 3);
  LockId r = s.NewRLock("w.py", 4);
  s.T(0).Lock(l).At("w.py", 20).Lock(r).At("w.py", 21).Fork().At("w.py", 22);
  s.T(0).Unlock(r).Unlock(l);
  EXPECT_TRUE(ForkFindings(s).empty());
}

TEST(Fork, OnlyTheLocksOfOtherThreads) {
  Script s;
  LockId mine = s.NewLock("w.py", 3), theirs = s.NewLock("w.py", 4);
  s.T(0).Lock(mine).At("w.py", 20);
  s.T(2).Lock(theirs).At("w.py", 9);
  s.T(0).Fork().At("w.py", 22);
  auto found = ForkFindings(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].message.find("L2 (created at w.py:4) is held by Thread-2"), std::string::npos) << found[0].message;
}

TEST(Fork, SignalLockIsNoFinding) {
  // Created locked (a Condition's waiter, `done = Lock(); done.acquire()`): a token,
  // not a mutex anybody acquires again.
  Script s;
  LockId waiter = s.NewLockBy(1, "w.py", 5, "wait");
  s.T(1).Lock(waiter).At("w.py", 6, "wait");
  s.T(0).Fork().At("w.py", 22);
  EXPECT_TRUE(ForkFindings(s).empty());
}

TEST(Fork, HolderThatExited) {
  Script s;
  LockId l = s.NewLock("w.py", 3);
  s.T(1).Lock(l).At("w.py", 8).Exit();
  s.T(0).Fork().At("w.py", 22);
  auto found = ForkFindings(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].message.find("held by Thread-1 (which has exited)"), std::string::npos) << found[0].message;
}

TEST(Fork, RepeatedForkIsOneFindingWithACount) {
  Script s;
  LockId l = s.NewLock("w.py", 3);
  s.T(1).Lock(l).At("w.py", 8);
  s.T(0).Fork().At("w.py", 22).Fork().At("w.py", 22);
  auto found = ForkFindings(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].count, 2u);
}

TEST(Fork, LoggingLocksAreReinitialisedInTheChild) {
  Script s;
  LockId l = s.NewLockWithStack(0, {{"/usr/lib/python3.11/threading.py", 120, "RLock"},
                                    {"/usr/lib/python3.11/logging/__init__.py", 920, "createLock"},
                                    {"app.py", 3, "<module>"}},
                                LockKind::kRLock);
  s.T(1).Lock(l).At("/usr/lib/python3.11/logging/__init__.py", 1000, "emit");
  s.T(0).Fork().At("app.py", 22);
  EXPECT_TRUE(ForkFindings(s).empty());
}

}  // namespace
}  // namespace pyrace::testing
