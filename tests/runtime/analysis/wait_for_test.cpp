// The watchdog's rules on hand-made snapshots: real hangs are found, and the
// patterns of normal programs (Condition waits, idle pools, timed waits, threads the
// runtime does not know) are not.
#include "runtime/analysis/wait_for.h"

#include <gtest/gtest.h>

namespace pyrace::wait_for {
namespace {

constexpr uint64_t kGrace = 1000000;  // 1 s
constexpr uint64_t kNow = 10000000;

ThreadSnapshot Running(Tid tid) {
  ThreadSnapshot t;
  t.tid = tid;
  return t;
}

ThreadSnapshot Waits(Tid tid, WaitKind kind, uint64_t obj, uint64_t since = 0, bool timed = false) {
  ThreadSnapshot t;
  t.tid = tid;
  t.waiting = true;
  t.kind = kind;
  t.obj = obj;
  t.since_us = since;
  t.timed = timed;
  return t;
}

LockSnapshot Held(LockId id, Tid holder, LockKind kind = LockKind::kLock) {
  LockSnapshot l;
  l.id = id;
  l.kind = kind;
  l.held = true;
  l.holder = holder;
  return l;
}

Snapshot Snap(std::vector<ThreadSnapshot> threads, std::vector<LockSnapshot> locks) {
  Snapshot s;
  s.now_us = kNow;
  s.threads = std::move(threads);
  s.locks = std::move(locks);
  return s;
}

TEST(WaitFor, TwoThreadLockCycleIsADeadlockEvenWithOthersRunning) {
  Verdict v = Analyze(Snap({Running(0), Waits(1, WaitKind::kLock, 10), Waits(2, WaitKind::kLock, 11)},
                           {Held(10, 2), Held(11, 1)}),
                      kGrace);
  EXPECT_EQ(v.reason, Reason::kCycle);
  EXPECT_EQ(v.cycle, (std::vector<Tid>{1, 2}));
  EXPECT_EQ(v.stuck, (std::vector<Tid>{1, 2}));
}

TEST(WaitFor, ThreeThreadCycleStartsAtLowestTid) {
  Verdict v = Analyze(Snap({Waits(3, WaitKind::kLock, 10), Waits(1, WaitKind::kLock, 11),
                            Waits(2, WaitKind::kLock, 12)},
                           {Held(10, 1), Held(11, 2), Held(12, 3)}),
                      kGrace);
  EXPECT_EQ(v.reason, Reason::kCycle);
  EXPECT_EQ(v.cycle, (std::vector<Tid>{1, 2, 3}));
}

TEST(WaitFor, JoinCycleWithLock) {
  // Main joins T1 while holding L; T1 waits on L.
  Verdict v = Analyze(Snap({Waits(0, WaitKind::kJoin, 1), Waits(1, WaitKind::kLock, 5)},
                           {Held(5, 0)}),
                      kGrace);
  EXPECT_EQ(v.reason, Reason::kCycle);
  EXPECT_EQ(v.cycle, (std::vector<Tid>{0, 1}));
}

TEST(WaitFor, WaitsShorterThanGraceDoNotCount) {
  Verdict v = Analyze(Snap({Waits(1, WaitKind::kLock, 10, kNow - 500000), Waits(2, WaitKind::kLock, 11)},
                           {Held(10, 2), Held(11, 1)}),
                      kGrace);
  EXPECT_FALSE(v.deadlock());
}

TEST(WaitFor, TimedWaitsAreNeverStuck) {
  Verdict v = Analyze(Snap({Waits(1, WaitKind::kLock, 10, 0, /*timed=*/true), Waits(2, WaitKind::kLock, 11)},
                           {Held(10, 2), Held(11, 1)}),
                      kGrace);
  EXPECT_FALSE(v.deadlock());
}

TEST(WaitFor, RLockWhoseOwnerExitedIsADeadlockWhileOthersRun) {
  Verdict v = Analyze(Snap({Running(0), Waits(2, WaitKind::kLock, 10)},
                           {Held(10, /*exited*/ 7, LockKind::kRLock)}),
                      kGrace);
  EXPECT_EQ(v.reason, Reason::kRLockOwnerExited);
  EXPECT_EQ(v.stuck, (std::vector<Tid>{2}));
}

TEST(WaitFor, PlainLockWhoseHolderExitedWaitsForEveryoneElse) {
  // Another live thread could still release a plain Lock.
  Snapshot running = Snap({Running(0), Waits(2, WaitKind::kLock, 10)}, {Held(10, 7)});
  EXPECT_FALSE(Analyze(running, kGrace).deadlock());
  // The seed's get_value: the holder returned without releasing, every other thread
  // waits on the lock, main waits for them at shutdown.
  Snapshot seed = Snap({Waits(0, WaitKind::kJoinAll, 0), Waits(6, WaitKind::kLock, 10),
                        Waits(7, WaitKind::kLock, 10)},
                       {Held(10, 5)});
  Verdict v = Analyze(seed, kGrace);
  EXPECT_EQ(v.reason, Reason::kLockHolderExited);
  EXPECT_EQ(v.stuck, (std::vector<Tid>{6, 7, 0}));
}

TEST(WaitFor, SelfWaitOnPlainLockIsAConditionWaitWhileANotifierRuns) {
  // Condition.wait: the waiter blocks on a lock it holds until notify releases it.
  Snapshot cond = Snap({Waits(1, WaitKind::kLock, 10), Running(2)}, {Held(10, 1)});
  EXPECT_FALSE(Analyze(cond, kGrace).deadlock());
  // The same wait with nobody left to notify.
  Snapshot alone = Snap({Waits(1, WaitKind::kLock, 10)}, {Held(10, 1)});
  Verdict v = Analyze(alone, kGrace);
  EXPECT_EQ(v.reason, Reason::kSelfWait);
  EXPECT_EQ(v.stuck, (std::vector<Tid>{1}));
}

TEST(WaitFor, IdleWorkerPoolIsNotStuckWhileMainRuns) {
  Snapshot pool = Snap({Running(0), Waits(1, WaitKind::kHandoff, 3), Waits(2, WaitKind::kHandoff, 3)}, {});
  EXPECT_FALSE(Analyze(pool, kGrace).deadlock());
}

TEST(WaitFor, ProducerConsumerBlockedOnEachOtherNeedsAllThreads) {
  // Consumer waits on the queue, producer waits on a Condition (self-held waiter lock).
  Snapshot pc = Snap({Running(0), Waits(1, WaitKind::kHandoff, 3), Waits(2, WaitKind::kLock, 9)},
                     {Held(9, 2)});
  EXPECT_FALSE(Analyze(pc, kGrace).deadlock());
  pc.threads[0] = Waits(0, WaitKind::kJoin, 1);
  Verdict v = Analyze(pc, kGrace);
  EXPECT_EQ(v.reason, Reason::kSelfWait);
}

TEST(WaitFor, JoinOfAStuckThreadIsStuck) {
  Verdict v = Analyze(Snap({Waits(0, WaitKind::kJoin, 1), Waits(1, WaitKind::kLock, 10), Running(2)},
                           {Held(10, 9, LockKind::kRLock)}),
                      kGrace);
  EXPECT_EQ(v.reason, Reason::kRLockOwnerExited);
  EXPECT_EQ(v.stuck, (std::vector<Tid>{1, 0}));
}

TEST(WaitFor, JoinOfARunningThreadIsNot) {
  EXPECT_FALSE(Analyze(Snap({Waits(0, WaitKind::kJoin, 1), Running(1)}, {}), kGrace).deadlock());
}

TEST(WaitFor, JoinAllIgnoresDaemonsButTheyCanStillRelease) {
  ThreadSnapshot daemon = Running(2);
  daemon.daemon = true;
  // Non-daemon T1 waits on a queue the running daemon may still fill: not stuck.
  Snapshot s = Snap({Waits(0, WaitKind::kJoinAll, 0), Waits(1, WaitKind::kHandoff, 4), daemon}, {});
  EXPECT_FALSE(Analyze(s, kGrace).deadlock());
}

TEST(WaitFor, UnknownThreadsCanReleaseAnything) {
  Snapshot s = Snap({Waits(1, WaitKind::kLock, 10)}, {Held(10, 1)});
  s.unknown_running = 1;
  EXPECT_FALSE(Analyze(s, kGrace).deadlock());
}

TEST(WaitFor, LockBeingHandedOverIsNotStuck) {
  LockSnapshot free_lock;
  free_lock.id = 10;
  Snapshot s = Snap({Waits(1, WaitKind::kLock, 10)}, {free_lock});
  EXPECT_FALSE(Analyze(s, kGrace).deadlock());
}

TEST(WaitFor, ChainIntoACycleReportsTheCycleFirst) {
  Verdict v = Analyze(Snap({Waits(1, WaitKind::kLock, 10), Waits(2, WaitKind::kLock, 11),
                            Waits(3, WaitKind::kLock, 12)},
                           {Held(10, 2), Held(11, 3), Held(12, 2)}),
                      kGrace);
  EXPECT_EQ(v.reason, Reason::kCycle);
  EXPECT_EQ(v.cycle, (std::vector<Tid>{2, 3}));
  EXPECT_EQ(v.stuck, (std::vector<Tid>{2, 3, 1}));
}

// The GIL is lock kGilLock of kind kGil, held only when the snapshot knows its holder
// for certain: a Python-called C function blocked on a C mutex with the GIL held.
LockSnapshot Gil(Tid holder) { return Held(kGilLock, holder, LockKind::kGil); }
LockSnapshot CMutex(LockId id, Tid holder) { return Held(id, holder, LockKind::kCMutex); }

TEST(WaitFor, GilVsCMutexIsACycle) {
  // Main holds the GIL and blocks on mutex 20 held by C thread 3, which waits for the GIL.
  Verdict v = Analyze(Snap({Waits(0, WaitKind::kLock, 20), Waits(3, WaitKind::kLock, kGilLock)},
                           {Gil(0), CMutex(20, 3)}),
                      kGrace);
  EXPECT_EQ(v.reason, Reason::kCycle);
  EXPECT_EQ(v.cycle, (std::vector<Tid>{0, 3}));
  EXPECT_EQ(v.stuck, (std::vector<Tid>{0, 3}));
}

TEST(WaitFor, GilWaitersBehindAStuckHolderAreStuckToo) {
  // A second C thread waiting for the GIL is part of the hang, not of the cycle.
  Verdict v = Analyze(Snap({Waits(0, WaitKind::kLock, 20), Waits(3, WaitKind::kLock, kGilLock),
                            Waits(4, WaitKind::kLock, kGilLock)},
                           {Gil(0), CMutex(20, 3)}),
                      kGrace);
  EXPECT_EQ(v.reason, Reason::kCycle);
  EXPECT_EQ(v.stuck, (std::vector<Tid>{0, 3, 4}));
}

TEST(WaitFor, GilCMutexAndPythonLockCycle) {
  // Main (GIL) waits on mutex 20 held by T1; T1 released the GIL and waits on Python
  // lock 10 held by T2; T2 waits for the GIL.
  Verdict v = Analyze(Snap({Waits(0, WaitKind::kLock, 20), Waits(1, WaitKind::kLock, 10),
                            Waits(2, WaitKind::kLock, kGilLock)},
                           {Gil(0), CMutex(20, 1), Held(10, 2)}),
                      kGrace);
  EXPECT_EQ(v.reason, Reason::kCycle);
  EXPECT_EQ(v.cycle, (std::vector<Tid>{0, 1, 2}));
}

TEST(WaitFor, CThreadWaitingForTheGilWhilePythonRunsIsNotStuck) {
  // Nobody is known to hold the GIL blocked: whoever runs Python will let it go.
  LockSnapshot gil;
  gil.id = kGilLock;
  gil.kind = LockKind::kGil;
  Verdict v = Analyze(Snap({Running(0), Waits(3, WaitKind::kLock, kGilLock)}, {gil}), kGrace);
  EXPECT_FALSE(v.deadlock());
}

TEST(WaitFor, GilHolderBlockedOnAMutexOfARunningThreadIsNotStuck) {
  // A slow C thread holds the mutex and will release it; the C thread waiting for the
  // GIL waits behind the holder, which is not stuck.
  Verdict v = Analyze(Snap({Waits(0, WaitKind::kLock, 20), Running(3), Waits(4, WaitKind::kLock, kGilLock)},
                           {Gil(0), CMutex(20, 3)}),
                      kGrace);
  EXPECT_FALSE(v.deadlock());
}

TEST(WaitFor, GilHolderThatIsNotInTheSnapshotFreesNoOneButIsNotStuck) {
  Verdict v = Analyze(Snap({Waits(3, WaitKind::kLock, kGilLock)}, {Gil(9)}), kGrace);
  EXPECT_FALSE(v.deadlock());
}

TEST(WaitFor, WaitingForTheGilItHoldsIsASelfWait) {
  // PyEval_RestoreThread with the GIL held blocks forever, whoever else runs.
  Verdict v = Analyze(Snap({Running(0), Waits(3, WaitKind::kLock, kGilLock)}, {Gil(3)}), kGrace);
  EXPECT_EQ(v.reason, Reason::kSelfWait);
  EXPECT_EQ(v.stuck, (std::vector<Tid>{3}));
}

TEST(WaitFor, CMutexWithExitedHolderWaitsForEveryoneElse) {
  // A PyThread lock may be released by any thread, like a plain Lock.
  Snapshot s = Snap({Running(0), Waits(3, WaitKind::kLock, 20)}, {CMutex(20, 9)});
  EXPECT_FALSE(Analyze(s, kGrace).deadlock());
  s.threads[0] = Waits(0, WaitKind::kLock, 20);
  EXPECT_EQ(Analyze(s, kGrace).reason, Reason::kLockHolderExited);
}

TEST(WaitFor, GilCycleWaitsShorterThanGraceDoNotCount) {
  Verdict v = Analyze(Snap({Waits(0, WaitKind::kLock, 20, kNow - 500000), Waits(3, WaitKind::kLock, kGilLock)},
                           {Gil(0), CMutex(20, 3)}),
                      kGrace);
  EXPECT_FALSE(v.deadlock());
}

}  // namespace
}  // namespace pyrace::wait_for
