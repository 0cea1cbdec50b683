// The asyncio watchdog's rules on hand-made loop states: a step is sampled once, as
// soon as it overruns; a loop is idle only when nothing inside it can wake it; and an
// idle loop's thread is stuck (wait_for) only while every other thread is.
#include "runtime/analysis/loop_watch.h"

#include <gtest/gtest.h>

#include "runtime/analysis/wait_for.h"

namespace pyrace::loop_watch {
namespace {

constexpr uint64_t kThreshold = 100000;  // 100 ms
constexpr uint64_t kPeriod = 100000;

Step Running(uint64_t start_us, bool sampled = false) {
  Step s;
  s.running = true;
  s.seq = 7;
  s.start_us = start_us;
  s.sampled = sampled;
  return s;
}

TEST(LoopWatchSample, OnlyARunningStepPastTheThresholdNotYetSampled) {
  EXPECT_FALSE(ShouldSample(Step{}, 500000, kThreshold));
  EXPECT_FALSE(ShouldSample(Running(450000), 500000, kThreshold));  // 50 ms in
  EXPECT_TRUE(ShouldSample(Running(400000), 500000, kThreshold));   // exactly 100 ms
  EXPECT_TRUE(ShouldSample(Running(100000), 500000, kThreshold));
  EXPECT_FALSE(ShouldSample(Running(100000, /*sampled=*/true), 500000, kThreshold));
}

TEST(LoopWatchSample, ThresholdZeroTurnsItOff) {
  EXPECT_FALSE(ShouldSample(Running(0), 10000000, 0));
  EXPECT_EQ(NextLook(Running(0), 5000, 0, kPeriod), 5000 + kPeriod);
}

TEST(LoopWatchSample, NextLookIsWhenTheRunningStepWouldOverrun) {
  EXPECT_EQ(NextLook(Step{}, 500000, kThreshold, kPeriod), 600000u);
  EXPECT_EQ(NextLook(Running(450000), 500000, kThreshold, kPeriod), 550000u);
  EXPECT_EQ(NextLook(Running(300000), 500000, kThreshold, kPeriod), 500000u);  // overdue: now
  EXPECT_EQ(NextLook(Running(300000, true), 500000, kThreshold, kPeriod), 600000u);
  EXPECT_EQ(NextLook(Running(500000), 500000, 5 * kThreshold, kPeriod), 600000u);  // not before the period
}

LoopState IdleWithTasks() {
  LoopState s;
  s.running = true;
  s.pending_tasks = 2;
  return s;
}

TEST(LoopWatchIdle, NothingLeftToWakeItWithTasksWaitingIsIdle) {
  EXPECT_EQ(Classify(IdleWithTasks()), Idle::kIdle);
}

TEST(LoopWatchIdle, AnythingThatCanStillHappenInsideTheLoopKeepsItLive) {
  LoopState s = IdleWithTasks();
  s.running = false;
  EXPECT_EQ(Classify(s), Idle::kNotRunning);
  s = IdleWithTasks();
  s.in_step = true;  // a step blocked in time.sleep, a thread lock, a C call
  EXPECT_EQ(Classify(s), Idle::kInStep);
  s = IdleWithTasks();
  s.stopping = true;
  EXPECT_EQ(Classify(s), Idle::kStopping);
  s = IdleWithTasks();
  s.ready = 1;  // call_soon, a future's callbacks
  EXPECT_EQ(Classify(s), Idle::kReady);
  s = IdleWithTasks();
  s.timers = 1;  // asyncio.sleep, wait_for timeouts, call_later, even cancelled
  EXPECT_EQ(Classify(s), Idle::kTimers);
  s = IdleWithTasks();
  s.io = 1;  // sockets, pipes of subprocesses, pidfd child watchers
  EXPECT_EQ(Classify(s), Idle::kIo);
  s = IdleWithTasks();
  s.signal_handlers = 1;
  EXPECT_EQ(Classify(s), Idle::kSignals);
  s = IdleWithTasks();
  s.executor_jobs = 1;
  EXPECT_EQ(Classify(s), Idle::kExecutor);
}

TEST(LoopWatchIdle, AnIdleLoopWithNoTaskWaitingLosesNothing) {
  LoopState s = IdleWithTasks();
  s.pending_tasks = 0;
  EXPECT_EQ(Classify(s), Idle::kNoTasks);
}

// How the watchdog combines it: the idle loop's thread waits like a queue get.
wait_for::ThreadSnapshot LoopThreadIdleSince(Tid tid, uint64_t since) {
  wait_for::ThreadSnapshot t;
  t.tid = tid;
  t.waiting = true;
  t.kind = WaitKind::kEventLoop;
  t.obj = 1;
  t.since_us = since;
  return t;
}

TEST(LoopWatchDeadlock, AnIdleLoopAloneIsStuckAfterTheGracePeriod) {
  wait_for::Snapshot snap;
  snap.now_us = 5000000;
  snap.threads = {LoopThreadIdleSince(0, 1000000)};
  wait_for::Verdict v = wait_for::Analyze(snap, 1000000);
  ASSERT_TRUE(v.deadlock());
  EXPECT_EQ(v.reason, wait_for::Reason::kAllBlocked);
  EXPECT_EQ(v.stuck, std::vector<Tid>{0});
  snap.now_us = 1500000;  // idle for only 0.5 s
  EXPECT_FALSE(wait_for::Analyze(snap, 1000000).deadlock());
}

TEST(LoopWatchDeadlock, AnyThreadThatCanRunMayStillCallSoonThreadsafe) {
  wait_for::Snapshot snap;
  snap.now_us = 5000000;
  wait_for::ThreadSnapshot worker;  // running: a to_thread job, a thread that will post
  worker.tid = 1;
  snap.threads = {LoopThreadIdleSince(0, 0), worker};
  EXPECT_FALSE(wait_for::Analyze(snap, 1000000).deadlock());
  snap.threads[1].waiting = true;  // now blocked with a timeout
  snap.threads[1].kind = WaitKind::kHandoff;
  snap.threads[1].timed = true;
  EXPECT_FALSE(wait_for::Analyze(snap, 1000000).deadlock());
  snap.threads[1].timed = false;  // an idle executor worker waiting for work forever
  EXPECT_TRUE(wait_for::Analyze(snap, 1000000).deadlock());
  snap.threads.resize(1);
  snap.unknown_running = 1;  // a thread started by C code
  EXPECT_FALSE(wait_for::Analyze(snap, 1000000).deadlock());
}

}  // namespace
}  // namespace pyrace::loop_watch
