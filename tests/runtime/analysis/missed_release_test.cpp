// missed-release: frame-end events from the recorder, hand-offs, thread end.
#include <gtest/gtest.h>

#include "tests/runtime/analysis/script.h"

namespace pyrace::testing {
namespace {

std::vector<Finding> Missed(Script& s) { return OfKind(s.Analyze(), FindingKind::kMissedRelease); }

// The seed's get_value: acquire at line 12, early return at line 19.
void EarlyReturn(Script& s, Tid t, LockId l) {
  s.T(t).Lock(l).At({{"seed.py", 12, "get_value"}, {"threading.py", 1010, "Thread.run"}});
  s.T(t).FrameEnd(l).At({{"seed.py", 19, "get_value"}, {"threading.py", 1010, "Thread.run"}});
  s.T(t).Exit();
}

TEST(MissedRelease, EarlyReturnReportsAcquireAndReturnLines) {
  Script s;
  LockId l = s.NewLock("seed.py", 3);
  s.T(0).Start(5).At("seed.py", 30, "<module>");
  s.Name(5, "Thread-5 (get_value)");
  EarlyReturn(s, 5, l);
  auto found = Missed(s);
  ASSERT_EQ(found.size(), 1u);
  const Finding& f = found[0];
  EXPECT_EQ(Primary(f), "seed.py:12");
  EXPECT_EQ(f.primary.function, "get_value");
  EXPECT_EQ(f.message,
            "lock L1 (created at seed.py:3) acquired in get_value at seed.py:12 is still held: "
            "get_value returned at seed.py:19 without releasing it");
  ASSERT_GE(f.sections.size(), 4u);
  EXPECT_EQ(f.sections[0].title, "Lock L1 acquired here by thread T5 (Thread-5 (get_value)):");
  EXPECT_EQ(f.sections[0].frames.size(), 2u);
  EXPECT_EQ(f.sections[1].title, "get_value returned here still holding L1:");
  EXPECT_EQ(f.sections[1].frames.at(0).line, 19u);
  EXPECT_EQ(f.sections[2].title, "Lock L1 created at:");
  EXPECT_EQ(f.sections[3].title, "Thread T5 (Thread-5 (get_value)) started at:");
  EXPECT_EQ(f.sections[3].frames.at(0).line, 30u);
}

// Noticed at thread exit, the end stack's callers are in cleanup code (threading.py
// 1049); the report shows the callers as they were while get_value ran.
TEST(MissedRelease, ReturnedHereKeepsTheCallersOfTheActivation) {
  Script s;
  LockId l = s.NewLock("seed.py", 3);
  s.T(5).Lock(l).At({{"seed.py", 12, "get_value"}, {"threading.py", 1010, "Thread.run"}});
  s.T(5).FrameEnd(l).At({{"seed.py", 19, "get_value"}, {"threading.py", 1049, "Thread._bootstrap_inner"}});
  s.T(5).Exit();
  auto found = Missed(s);
  ASSERT_EQ(found.size(), 1u);
  const Section& end = found[0].sections.at(1);
  ASSERT_EQ(end.frames.size(), 2u);
  EXPECT_EQ(end.frames[0].line, 19u);
  EXPECT_EQ(end.frames[1].function, "Thread.run");
  EXPECT_EQ(end.frames[1].line, 1010u);
}

TEST(MissedRelease, RaisedSaysRaised) {
  Script s;
  LockId l = s.NewLock("a.py", 1);
  s.T(1).Lock(l).At("a.py", 5, "work").FrameEnd(l, /*raised=*/true).At("a.py", 7, "work");
  auto found = Missed(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].message.find("work raised at a.py:7 without releasing it"), std::string::npos)
      << found[0].message;
  EXPECT_EQ(Primary(found[0]), "a.py:5");
}

TEST(MissedRelease, SameSitesInManyThreadsAreOneFindingWithACount) {
  Script s;
  LockId l1 = s.NewLock("seed.py", 3), l2 = s.NewLock("seed.py", 3), l3 = s.NewLock("seed.py", 3);
  EarlyReturn(s, 1, l1);
  EarlyReturn(s, 2, l2);
  EarlyReturn(s, 3, l3);
  auto found = Missed(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].count, 3u);
}

TEST(MissedRelease, ReleasedLaterByAnotherThreadIsAHandOff) {
  Script s;
  LockId l = s.NewLock();
  s.T(1).Lock(l).At("a.py", 5).FrameEnd(l).At("a.py", 6).Exit();
  s.T(2).Unlock(l).At("a.py", 20);
  auto all = s.Analyze();
  EXPECT_TRUE(OfKind(all, FindingKind::kMissedRelease).empty());
  EXPECT_TRUE(OfKind(all, FindingKind::kBadRelease).empty());
}

// The lock object dies still held (its last reference dropped): nobody released it,
// so it is still a missed release, and not a bad release either.
TEST(MissedRelease, FreedWhileHeldIsStillAMissedRelease) {
  Script s;
  LockId l = s.NewLock();
  s.T(1).Lock(l).At("a.py", 5).FrameEnd(l).At("a.py", 6);
  s.T(1).Freed(l);
  s.T(1).Exit();
  auto all = s.Analyze();
  ASSERT_EQ(OfKind(all, FindingKind::kMissedRelease).size(), 1u);
  EXPECT_TRUE(OfKind(all, FindingKind::kBadRelease).empty());
}

TEST(MissedRelease, EnterExitStyleIsClean) {
  // acquire in __enter__; the recorder saw __enter__ end holding it (another thread
  // started waiting), then __exit__ released it.
  Script s;
  LockId l = s.NewLock();
  s.T(1).Lock(l).At({{"ctx.py", 4, "Guard.__enter__"}, {"app.py", 10, "work"}});
  s.T(1).FrameEnd(l).At({{"ctx.py", 5, "Guard.__enter__"}, {"app.py", 10, "work"}});
  s.T(1).Unlock(l).At({{"ctx.py", 8, "Guard.__exit__"}, {"app.py", 10, "work"}});
  s.T(1).Exit();
  EXPECT_TRUE(Missed(s).empty());
}

TEST(MissedRelease, HelperThatReturnsHoldingAndCallerReleasesIsClean) {
  Script s;
  LockId l = s.NewLock();
  s.T(1).Lock(l).At("a.py", 3, "grab").FrameEnd(l).At("a.py", 4, "grab");
  s.T(1).Unlock(l).At("a.py", 9, "caller").Exit();
  EXPECT_TRUE(Missed(s).empty());
}

TEST(MissedRelease, RLockInnerReleaseDoesNotCancel) {
  // The activation that took the RLock first returned with it; a later nested
  // acquire/release pair leaves it held, so it is still missed.
  Script s;
  LockId r = s.NewRLock("a.py", 1);
  s.T(1).Lock(r).At("a.py", 3, "grab").FrameEnd(r).At("a.py", 4, "grab");
  s.T(1).ReLock(r).At("a.py", 8, "other").ReUnlock(r).At("a.py", 9, "other").Exit();
  auto found = Missed(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "a.py:3");
}

TEST(MissedRelease, ReacquiredAfterReleaseIsJudgedAgain) {
  Script s;
  LockId l = s.NewLock();
  s.T(1).Lock(l).At("a.py", 3, "f").FrameEnd(l).At("a.py", 4, "f").Unlock(l).At("a.py", 9, "g");
  s.T(1).Lock(l).At("a.py", 13, "h").FrameEnd(l).At("a.py", 14, "h").Exit();
  auto found = Missed(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "a.py:13");
}

TEST(MissedRelease, ThreadEndedHoldingWithoutFrameEndEvents) {
  Script s;
  LockId l = s.NewLock("a.py", 1);
  s.T(1).Lock(l).At("a.py", 3, "worker").Exit();
  auto found = Missed(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "a.py:3");
  EXPECT_EQ(found[0].message,
            "lock L1 (created at a.py:1) acquired in worker at a.py:3 is still held: thread T1 "
            "(Thread-1) ended without releasing it");
}

TEST(MissedRelease, LockHeldByALiveThreadAtTheEndIsNotReported) {
  // A daemon thread still inside its critical section when the program ended.
  Script s;
  LockId l = s.NewLock();
  s.T(1).Lock(l).At("a.py", 3, "worker");
  EXPECT_TRUE(Missed(s).empty());
}

TEST(MissedRelease, FrameEndAndThreadEndOfOneHoldAreOneFinding) {
  Script s;
  LockId l = s.NewLock();
  s.T(1).Lock(l).At("a.py", 3, "f").FrameEnd(l).At("a.py", 4, "f").Exit();
  auto found = Missed(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].message.find("f returned at a.py:4"), std::string::npos);
}

}  // namespace
}  // namespace pyrace::testing

namespace pyrace::testing {
namespace {

TEST(MissedRelease, FrameEndOfAPythonLevelLockApiIsNotTheUsersReturn) {
  // threading's pure-Python _RLock.acquire returns holding its inner lock by design.
  const std::string threading = "/usr/lib/python3.11/threading.py";
  Script s;
  LockId inner = s.NewLock(threading, 130);
  s.T(1).Lock(inner).At({{threading, 170, "_RLock.acquire"}, {"app.py", 5, "work"}});
  s.T(1).FrameEnd(inner).At({{threading, 172, "_RLock.acquire"}});
  s.T(1).Unlock(inner).At({{threading, 190, "_RLock.release"}, {"app.py", 7, "work"}}).Exit();
  EXPECT_TRUE(Missed(s).empty());
  // Never released: reported when the thread ends, at the user's acquire.
  Script leak;
  LockId l = leak.NewLock(threading, 130);
  leak.T(1).Lock(l).At({{threading, 170, "_RLock.acquire"}, {"app.py", 5, "work"}});
  leak.T(1).FrameEnd(l).At({{threading, 172, "_RLock.acquire"}}).Exit();
  auto found = Missed(leak);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "app.py:5");
  EXPECT_NE(found[0].message.find("ended without releasing it"), std::string::npos);
}

}  // namespace
}  // namespace pyrace::testing

namespace pyrace::testing {
namespace {

TEST(MissedRelease, ALockCreatedLockedIsASignal) {
  // setUp: self.done = allocate_lock(); self.done.acquire() — "not done yet", released
  // by a worker when there is one; left locked when the test did not need it.
  Script s;
  LockId done = s.NewLock("t.py", 30);  // created by MainThread in t.py <module>
  s.T(0).Lock(done).At("t.py", 31, "<module>");
  s.T(0).Exit();
  EXPECT_TRUE(s.Analyze().empty());
}

TEST(MissedRelease, ModuleLevelMutexesAreMutexes) {
  // A = Lock(); B = Lock(); A.acquire() at module level: not created locked.
  Script s;
  LockId a = s.NewLock("t.py", 30);
  s.NewLock("t.py", 31);
  s.T(0).Lock(a).At("t.py", 40, "<module>").Exit();
  EXPECT_EQ(Missed(s).size(), 1u);
}

TEST(MissedRelease, ALockCreatedElsewhereIsAMutex) {
  Script s;
  LockId l = s.NewLock("t.py", 30);
  s.T(0).Lock(l).At("t.py", 31, "helper").Exit();
  EXPECT_EQ(Missed(s).size(), 1u);
}

// A helper that returns holding the lock for its caller, whose finally would release
// it: in a process killed meanwhile (SIGTERM, Process.terminate()) the release was cut
// off, not left out.
void HelperHoldsForCaller(Script& s, LockId l) {
  s.T(0).Lock(l).At({{"worker.py", 4, "take"}, {"worker.py", 8, "work"}});
  s.T(0).FrameEnd(l).At({{"worker.py", 4, "take"}, {"worker.py", 8, "work"}});
}

TEST(MissedRelease, AProcessKilledWhileAHelperHoldsForItsCallerHasNone) {
  Script s;
  LockId l = s.NewLock("worker.py", 1);
  HelperHoldsForCaller(s, l);
  EXPECT_TRUE(OfKind(s.AnalyzeAsTrace(), FindingKind::kMissedRelease).empty());
}

TEST(MissedRelease, AProcessThatEndsByItselfStillHoldingIsReported) {
  Script s;
  LockId l = s.NewLock("worker.py", 1);
  HelperHoldsForCaller(s, l);
  s.T(0).EndProcess();
  EXPECT_EQ(OfKind(s.AnalyzeAsTrace(), FindingKind::kMissedRelease).size(), 1u);
}

TEST(MissedRelease, AThreadThatEndedBeforeTheKillIsReported) {
  Script s;
  LockId l = s.NewLock("worker.py", 1);
  s.T(0).Start(3);
  s.T(3).Lock(l).At("worker.py", 4, "take");
  s.T(3).FrameEnd(l).At("worker.py", 4, "take");
  s.T(3).Exit();
  EXPECT_EQ(OfKind(s.AnalyzeAsTrace(), FindingKind::kMissedRelease).size(), 1u);
}

TEST(MissedRelease, ATraceThatCannotTellItsEndCountsAsEnded) {
  // Streams without a header and traces of format 2.0 have no kProcessEnd.
  Script s;
  LockId l = s.NewLock("worker.py", 1);
  HelperHoldsForCaller(s, l);
  EXPECT_EQ(Missed(s).size(), 1u);
  Analyzer analyzer(AnalysisOptions{});
  TraceHeader v20;
  v20.version_major = 2;
  v20.version_minor = 0;
  analyzer.OnHeader(v20);
  for (const Event& e : s.events()) analyzer.OnEvent(e, s.symbols());
  EXPECT_EQ(OfKind(analyzer.Finish(s.symbols()), FindingKind::kMissedRelease).size(), 1u);
}

}  // namespace
}  // namespace pyrace::testing
