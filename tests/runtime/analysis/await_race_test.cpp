// Lost updates across await: a task's read in one step and its write in a later step,
// with another task's write in between, over synthetic task-step scripts.
#include <gtest/gtest.h>

#include <string>

#include "tests/runtime/analysis/script.h"

namespace pyrace::testing {
namespace {

constexpr const char* kApp = "/app/counter.py";

// The across-await ones (accesses of two threads are the happens-before detector's too).
std::vector<Finding> AcrossAwait(const std::vector<Finding>& all) {
  std::vector<Finding> out;
  for (const Finding& f : OfKind(all, FindingKind::kDataRace)) {
    if (f.message.find(" across await) ") != std::string::npos) out.push_back(f);
  }
  return out;
}
std::vector<Finding> Races(Script& s) { return AcrossAwait(s.Analyze()); }

AnalysisOptions RacesOnly() {
  AnalysisOptions o;
  o.deadlocks = false;
  return o;
}

// x = self.n; await sleep(0); self.n = x + 1 in two tasks that interleave.
TEST(AwaitRace, ReadBeforeAwaitWriteAfterIsReportedWithTheOtherTasksWrite) {
  Script s;
  LocId n = s.NewLocation("Counter.n");
  s.T(0).TaskStep(1, "Task-2 (bump)").Read(n).At(kApp, 7, "bump");
  s.T(0).TaskStep(2, "Task-3 (bump)").Read(n).At(kApp, 7, "bump");
  s.T(0).TaskStep(1, "Task-2 (bump)").Write(n).At(kApp, 9, "bump");
  s.T(0).TaskStep(2, "Task-3 (bump)").Write(n).At(kApp, 9, "bump");
  auto f = Races(s);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(Primary(f[0]), "/app/counter.py:9");
  EXPECT_EQ(f[0].message,
            "data race (lost update across await) on Counter.n: task Task-3 (bump) read it at counter.py:7, awaited, "
            "and wrote it at counter.py:9; task Task-2 (bump) wrote it at counter.py:9 in between");
  EXPECT_EQ(Titles(f[0]),
            "Write of Counter.n after an await by task Task-3 (bump) (on thread T0 (MainThread)):\n"
            "Read of Counter.n before the await by task Task-3 (bump):\n"
            "Write of Counter.n in between by task Task-2 (bump):\n");
  EXPECT_EQ(f[0].fingerprint, "data-race:Counter.n:/app/counter.py:9:/app/counter.py:7");
  ASSERT_EQ(f[0].notes.size(), 1u);
  EXPECT_NE(f[0].notes[0].find("asyncio.Lock"), std::string::npos);
}

TEST(AwaitRace, RepeatsAreOneFindingWithACount) {
  Script s;
  LocId n = s.NewLocation("Counter.n");
  for (int i = 0; i < 3; ++i) {
    s.T(0).TaskStep(1, "Task-2 (bump)").Read(n).At(kApp, 7, "bump");
    s.T(0).TaskStep(2, "Task-3 (bump)").Read(n).At(kApp, 7, "bump");
    s.T(0).TaskStep(1, "Task-2 (bump)").Write(n).At(kApp, 9, "bump");
    s.T(0).TaskStep(2, "Task-3 (bump)").Write(n).At(kApp, 9, "bump");
  }
  auto f = Races(s);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].count, 3u);
}

// Within one step nothing else runs: read and write there are atomic, however the
// steps of the tasks interleave.
TEST(AwaitRace, ReadAndWriteInOneStepAreAtomic) {
  Script s;
  LocId n = s.NewLocation("Counter.n");
  s.T(0).TaskStep(1, "Task-2 (bump)").Read(n).At(kApp, 7).Write(n).At(kApp, 8);
  s.T(0).TaskStep(2, "Task-3 (bump)").Read(n).At(kApp, 7).Write(n).At(kApp, 8);
  s.T(0).TaskStep(1, "Task-2 (bump)").Read(n).At(kApp, 7).Write(n).At(kApp, 8);
  s.T(0).TaskStep(2, "Task-3 (bump)").Update(n).At(kApp, 10);
  s.T(0).TaskStep(1, "Task-2 (bump)").Update(n).At(kApp, 10);
  EXPECT_TRUE(Races(s).empty());
}

// Reading again after the await: the write depends on the fresh read.
TEST(AwaitRace, ReReadAfterTheAwaitIsClean) {
  Script s;
  LocId n = s.NewLocation("Counter.n");
  s.T(0).TaskStep(1, "Task-2").Read(n).At(kApp, 7);
  s.T(0).TaskStep(2, "Task-3").Write(n).At(kApp, 20);
  s.T(0).TaskStep(1, "Task-2").Read(n).At(kApp, 9).Write(n).At(kApp, 10);
  EXPECT_TRUE(Races(s).empty());
}

// x += 1 after the await reads the location again: nothing stale is written.
TEST(AwaitRace, ReadModifyWriteAfterTheAwaitIsClean) {
  Script s;
  LocId n = s.NewLocation("Counter.n");
  s.T(0).TaskStep(1, "Task-2").Read(n).At(kApp, 7);
  s.T(0).TaskStep(2, "Task-3").Write(n).At(kApp, 20);
  s.T(0).TaskStep(1, "Task-2").Update(n).At(kApp, 10);
  EXPECT_TRUE(Races(s).empty());
}

// No other write in between: the read was not stale, whatever ran meanwhile.
TEST(AwaitRace, NoWriteInBetweenIsClean) {
  Script s;
  LocId n = s.NewLocation("Counter.n");
  LocId other = s.NewLocation("Counter.m");
  s.T(0).TaskStep(2, "Task-3").Write(n).At(kApp, 20);  // before the read
  s.T(0).TaskStep(1, "Task-2").Read(n).At(kApp, 7);
  s.T(0).TaskStep(2, "Task-3").Read(n).At(kApp, 21).Write(other).At(kApp, 22);
  s.T(0).TaskStep(1, "Task-2").Write(n).At(kApp, 9);
  EXPECT_TRUE(Races(s).empty());
}

// if len(self.pool) < self.max: conn = await connect(); self.pool.append(conn)
TEST(AwaitRace, CheckThenCommutingActAcrossAwaitIsReported) {
  Script s;
  LocId pool = s.NewLocation("Pool.conns");
  s.T(0).TaskStep(1, "Task-2 (get)").Check(pool).At("/app/pool.py", 12, "get");
  s.T(0).TaskStep(2, "Task-3 (get)").Check(pool).At("/app/pool.py", 12, "get");
  s.T(0).TaskStep(1, "Task-2 (get)").Commuting(pool).At("/app/pool.py", 14, "get");
  s.T(0).TaskStep(2, "Task-3 (get)").Commuting(pool).At("/app/pool.py", 14, "get");
  auto f = Races(s);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(Primary(f[0]), "/app/pool.py:14");
  EXPECT_EQ(f[0].message.rfind("data race (check-then-act across await) on Pool.conns: task Task-3 (get) checked it "
                               "at pool.py:12, awaited, and wrote it at pool.py:14; task Task-2 (get) wrote it at "
                               "pool.py:14 in between",
                               0),
            0u);
}

// n = len(items); await ...; items.append(n): appends commute, nothing is lost.
TEST(AwaitRace, PlainReadThenCommutingUpdateIsClean) {
  Script s;
  LocId items = s.NewLocation("Log.items");
  s.T(0).TaskStep(1, "Task-2").Read(items).At(kApp, 7);
  s.T(0).TaskStep(2, "Task-3").Commuting(items).At(kApp, 30);
  s.T(0).TaskStep(1, "Task-2").Commuting(items).At(kApp, 9);
  EXPECT_TRUE(Races(s).empty());
}

// if key not in cache: v = await fetch(); cache[key] = v, by two tasks for one key: the
// second store replaces the value the first stored (and fetched twice).
TEST(AwaitRace, CacheFilledByTwoTasksIsACheckThenAct) {
  Script s;
  LocId entry = s.NewLocation("cache['a']");
  s.T(0).TaskStep(1, "Task-2 (get)").Check(entry).At("/app/cache.py", 5, "get");
  s.T(0).TaskStep(2, "Task-3 (get)").Check(entry).At("/app/cache.py", 5, "get");
  s.T(0).TaskStep(1, "Task-2 (get)").Write(entry).At("/app/cache.py", 7, "get");
  s.T(0).TaskStep(2, "Task-3 (get)").Write(entry).At("/app/cache.py", 7, "get");
  auto f = Races(s);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].fingerprint, "data-race:cache[...]:/app/cache.py:7:/app/cache.py:5");
  EXPECT_NE(f[0].message.find("(check-then-act across await)"), std::string::npos);
}

// The writer in between may be a plain callback of the loop or another thread.
TEST(AwaitRace, CallbackAndThreadWritesInBetweenAreNamed) {
  Script s;
  LocId n = s.NewLocation("Counter.n");
  LocId m = s.NewLocation("Counter.m");
  s.T(0).TaskStep(1, "Task-2").Read(n).At(kApp, 7).Read(m).At(kApp, 8);
  s.T(0).NoTask().Write(n).At(kApp, 40, "on_timer");
  s.T(1).Write(m).At(kApp, 50, "poller");
  s.T(0).TaskStep(1, "Task-2").Write(n).At(kApp, 9).Write(m).At(kApp, 10);
  auto f = Races(s);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_NE(f[0].message.find("; a callback on thread MainThread wrote it at counter.py:40"), std::string::npos);
  EXPECT_NE(f[1].message.find("; thread Thread-1 wrote it at counter.py:50"), std::string::npos);
}

// A task that is gone takes its pending reads with it, and what runs next on its thread
// is no task's: a write there is no task's write after an await.
TEST(AwaitRace, GoneTaskForgetsItsReads) {
  Script s;
  LocId n = s.NewLocation("Counter.n");
  s.T(0).TaskStep(1, "Task-2").Read(n).At(kApp, 7);
  s.T(0).TaskStep(2, "Task-3").Read(n).At(kApp, 7);
  s.T(0).TaskStep(1, "Task-2").Write(n).At(kApp, 9);
  s.T(0).TaskGone(2).Write(n).At(kApp, 60, "main");
  s.T(0).TaskStep(3, "Task-4").Write(n).At(kApp, 9);
  EXPECT_TRUE(Races(s).empty());
}

// Tasks on two loops: steps are per thread; a read and a write of one task stay
// related whatever the other loop does, and its write in between counts.
TEST(AwaitRace, TwoLoopsKeepTheirOwnRunningTask) {
  Script s;
  LocId n = s.NewLocation("Counter.n");
  s.T(0).TaskStep(1, "Task-2").Read(n).At(kApp, 7);
  s.T(1).TaskStep(2, "Task-3").Write(n).At(kApp, 20);
  s.T(0).Write(n).At(kApp, 9);  // still Task-2's first step: no await in between
  s.T(0).TaskStep(3, "Task-4").Read(n).At(kApp, 30);
  s.T(1).TaskStep(2, "Task-3").Write(n).At(kApp, 20);
  s.T(0).TaskStep(3, "Task-4").Write(n).At(kApp, 31);
  auto f = Races(s);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(Primary(f[0]), "/app/counter.py:31");
  EXPECT_NE(f[0].message.find("; task Task-3 wrote it at counter.py:20 in between"), std::string::npos);
}

// Lock-only mode runs no race detection.
TEST(AwaitRace, NotInLockOnlyMode) {
  Script s;
  LocId n = s.NewLocation("Counter.n");
  s.T(0).TaskStep(1, "Task-2").Read(n).At(kApp, 7);
  s.T(0).TaskStep(2, "Task-3").Write(n).At(kApp, 20);
  s.T(0).TaskStep(1, "Task-2").Write(n).At(kApp, 9);
  AnalysisOptions o;
  o.races = false;
  EXPECT_TRUE(AcrossAwait(s.Analyze(o)).empty());
  EXPECT_EQ(AcrossAwait(s.Analyze(RacesOnly())).size(), 1u);
}

}  // namespace
}  // namespace pyrace::testing
