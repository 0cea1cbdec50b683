// asyncio end to end: every testdata/asyncio program under `pyrace run --format json`
// reports exactly its `# expect:` lines (blocking steps, tasks that wait for ever,
// asyncio lock cycles and missed releases, races between threads and the loop, lost
// updates across await), the
// clean twins nothing; the lock-only mode finds the same minus the races; the reports
// name the tasks; record -> replay gives the same report.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/e2e/harness.h"

namespace pyrace::e2e {
namespace {

std::string ProgramName(const testing::TestParamInfo<Fixture>& p) { return FixtureName(p.param); }

std::string Program(const std::string& name) { return std::string(PYRACE_ASYNCIO_TESTDATA) + "/" + name; }

// The options a program's `# fixture: options` comment asks for (testdata/asyncio:
// steps are timed by the wall clock, so on a loaded machine any step can pass 100 ms;
// programs about something else than blocking run with a threshold none of their steps
// comes near, the blocking programs and their clean twins keep the default).
std::vector<std::string> ExtraArgs(const std::string& name) {
  const std::vector<Fixture> runs = FixtureRuns(PYRACE_ASYNCIO_TESTDATA, name);
  return runs.empty() ? std::vector<std::string>{} : runs.front().options;
}

nlohmann::json RunJson(std::vector<std::string> extra, const std::string& name, TempDir& tmp, ToolResult* result) {
  const std::string report = tmp.File("report.json");
  std::vector<std::string> args = {"run", "--format", "json", "--output", report};
  for (const std::string& a : ExtraArgs(name)) args.push_back(a);
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(Program(name));
  *result = RunPyrace(args);
  return ReadJson(report);
}

FindingSet Without(FindingSet s, const std::string& kind) {
  for (auto it = s.begin(); it != s.end();) it = std::get<0>(*it) == kind ? s.erase(it) : std::next(it);
  return s;
}

class AsyncioProgram : public testing::TestWithParam<Fixture> {};

TEST_P(AsyncioProgram, FindingsEqualAnnotationsAndExitCodeFollows) {
  const FixtureResult r = RunFixture(PYRACE_ASYNCIO_TESTDATA, GetParam());
  EXPECT_EQ(r.actual, r.expected) << "expected:\n" << Describe(r.expected) << "actual:\n" << Describe(r.actual)
                                  << "stderr:\n" << r.tool.err;
  EXPECT_EQ(r.tool.exit_code, r.expected.empty() ? 0 : 66) << r.tool.err;
}

TEST_P(AsyncioProgram, LockOnlyModeFindsTheSameButRaces) {
  const FixtureResult r = RunFixture(PYRACE_ASYNCIO_TESTDATA, GetParam(), {"--detect", "deadlocks"});
  const FindingSet expected = Without(r.expected, "data-race");
  EXPECT_EQ(r.actual, expected) << "expected:\n" << Describe(expected) << "stderr:\n" << r.tool.err;
  EXPECT_EQ(r.tool.exit_code, expected.empty() ? 0 : 66) << r.tool.err;
}

INSTANTIATE_TEST_SUITE_P(Asyncio, AsyncioProgram, testing::ValuesIn(Fixtures(PYRACE_ASYNCIO_TESTDATA)), ProgramName);

// The hooks read asyncio's internals (Handle._run, the loop's queues, Lock._locked,
// the C Task's step callbacks), which differ by version: the bug programs on every
// interpreter from 3.11 that the machine has.
class AsyncioVersion : public testing::TestWithParam<int> {};

TEST_P(AsyncioVersion, BugProgramsReportTheirLines) {
  const std::string python = FindPython(GetParam());
  if (python.empty()) GTEST_SKIP() << "no python3." << GetParam() << " on this machine";
  for (const char* name : {"blocking_sleep_in_task.py", "lock_cycle_hang.py", "futures_await_each_other.py",
                           "lock_order_predicted.py", "task_ends_holding_lock.py", "clean_long_waits.py"}) {
    TempDir tmp;
    ToolResult r;
    const nlohmann::json report = RunJson({"--python", python, "--detect", "deadlocks"}, name, tmp, &r);
    const FindingSet expected = Annotations(Program(name));
    EXPECT_EQ(FindingsOf(report), expected) << name << " expected:\n" << Describe(expected) << "stderr:\n" << r.err;
    EXPECT_EQ(r.exit_code, expected.empty() ? 0 : 66) << name << r.err;
  }
}

INSTANTIATE_TEST_SUITE_P(Asyncio, AsyncioVersion, testing::Values(11, 12, 13),
                         [](const testing::TestParamInfo<int>& p) { return "py3" + std::to_string(p.param); });

nlohmann::json OnlyFinding(const nlohmann::json& report) {
  if (report["findings"].size() != 1) return nullptr;
  return report["findings"][0];
}

bool Has(const nlohmann::json& s, const std::string& part) {
  return s.is_string() && s.get<std::string>().find(part) != std::string::npos;
}

TEST(AsyncioReport, BlockingStepNamesTheTaskTheLineAndHowLong) {
  TempDir tmp;
  ToolResult r;
  const nlohmann::json f = OnlyFinding(RunJson({}, "blocking_sleep_in_task.py", tmp, &r));
  ASSERT_FALSE(f.is_null()) << r.err;
  EXPECT_EQ(f["kind"], "blocking-in-event-loop");
  EXPECT_TRUE(Has(f["message"], "task refresher (refresh) blocked the event loop of thread MainThread for "))
      << f["message"];
  EXPECT_TRUE(Has(f["message"], " in refresh at blocking_sleep_in_task.py:8")) << f["message"];
  // The step ran about 400 ms; the message says how long it took, not the threshold.
  const std::string msg = f["message"].get<std::string>();
  size_t at = msg.find(" for ");
  ASSERT_NE(at, std::string::npos);
  EXPECT_GE(std::stoi(msg.substr(at + 5)), 390) << msg;
}

TEST(AsyncioReport, LockCycleNamesBothTasksAndWhoHoldsWhat) {
  TempDir tmp;
  ToolResult r;
  const nlohmann::json report = RunJson({"--detect", "deadlocks"}, "lock_cycle_hang.py", tmp, &r);
  bool seen = false;
  for (const auto& f : report["findings"]) {
    if (f["kind"] != "deadlock") continue;
    seen = true;
    EXPECT_TRUE(Has(f["message"], "(transfer) waits for lock L")) << f["message"];
    EXPECT_TRUE(Has(f["message"], "held by Task-")) << f["message"];
    EXPECT_TRUE(Has(f["message"], "which waits for lock L")) << f["message"];
  }
  EXPECT_TRUE(seen) << r.err;
  EXPECT_NE(r.err.find("pyrace: deadlock detected, ending the run"), std::string::npos) << r.err;
}

TEST(AsyncioReport, TasksAwaitingEachOthersFuturesShowEveryAwaitChain) {
  TempDir tmp;
  ToolResult r;
  const nlohmann::json f = OnlyFinding(RunJson({}, "futures_await_each_other.py", tmp, &r));
  ASSERT_FALSE(f.is_null()) << r.err;
  std::string titles;
  for (const auto& s : f["stacks"]) titles += s["title"].get<std::string>() + "\n";
  EXPECT_NE(titles.find("(producer)) waits for an asyncio future that nothing left can complete, and so do 1 more"),
            std::string::npos)
      << titles;
  EXPECT_NE(titles.find("Task-1 (main)) waits for thread T"), std::string::npos) << titles;
  EXPECT_NE(titles.find("MainThread) waits for its asyncio event loop to be woken"), std::string::npos) << titles;
}

TEST(AsyncioReport, LostUpdateAcrossAwaitNamesBothTasksAndTheThreeAccesses) {
  TempDir tmp;
  ToolResult r;
  const nlohmann::json f = OnlyFinding(RunJson({}, "lost_update_counter.py", tmp, &r));
  ASSERT_FALSE(f.is_null()) << r.err;
  EXPECT_EQ(r.exit_code, 66) << r.err;
  EXPECT_EQ(r.out, "1\n");  // the program's own output: the update was lost
  EXPECT_EQ(f["kind"], "data-race");
  EXPECT_TRUE(Has(f["message"], "data race (lost update across await) on Counter.n: task Task-3 (Counter.bump) read "
                                "it at lost_update_counter.py:12, awaited, and wrote it at lost_update_counter.py:14; "
                                "task Task-2 (Counter.bump) wrote it at lost_update_counter.py:14 in between"))
      << f["message"];
  std::vector<std::string> titles;
  for (const auto& s : f["stacks"]) titles.push_back(s["title"].get<std::string>());
  ASSERT_EQ(titles.size(), 3u) << f.dump(2);
  EXPECT_TRUE(Has(f["stacks"][0]["title"], "Write of Counter.n after an await by task Task-3")) << titles[0];
  EXPECT_TRUE(Has(f["stacks"][1]["title"], "Read of Counter.n before the await by task Task-3")) << titles[1];
  EXPECT_TRUE(Has(f["stacks"][2]["title"], "Write of Counter.n in between by task Task-2")) << titles[2];
}

TEST(AsyncioReport, PoolCheckThenAppendIsACheckThenActAcrossAwait) {
  TempDir tmp;
  ToolResult r;
  const nlohmann::json f = OnlyFinding(RunJson({}, "pool_check_then_append.py", tmp, &r));
  ASSERT_FALSE(f.is_null()) << r.err;
  EXPECT_TRUE(Has(f["message"], "(check-then-act across await)")) << f["message"];
  EXPECT_TRUE(Has(f["message"], " checked it at pool_check_then_append.py:17, awaited, and wrote it at "
                                "pool_check_then_append.py:19")) << f["message"];
}

TEST(AsyncioReplay, RecordedTraceReportsTheSameFindings) {
  TempDir tmp;
  for (const char* name : {"blocking_sleep_in_task.py", "lock_cycle_hang.py", "lost_update_counter.py"}) {
    const std::string trace = tmp.File(std::string(name) + ".trace");
    const std::string live = tmp.File("live.json");
    const std::string offline = tmp.File("offline.json");
    ToolResult rec = RunPyrace({"record", "-o", trace, "--format", "json", "--output", live, Program(name)});
    ToolResult rep = RunPyrace({"replay", "--format", "json", "--output", offline, trace});
    EXPECT_EQ(rec.exit_code, 66) << name << rec.err;
    EXPECT_EQ(rep.exit_code, 1) << name << rep.err;
    EXPECT_EQ(FindingsOf(ReadJson(offline)), FindingsOf(ReadJson(live))) << name << rec.err << rep.err;
    EXPECT_EQ(FindingsOf(ReadJson(offline)), Annotations(Program(name))) << name << rep.err;
  }
}

}  // namespace
}  // namespace pyrace::e2e
