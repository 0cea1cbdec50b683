// Data races end to end: every testdata/races program (harness.h, Fixtures) under
// `pyrace run --format json` must report exactly its `# expect: data-race` lines (the
// later access of each racing pair), clean programs nothing; the reports say what kind of race and which lock
// fixes it; record -> replay finds the same races; the lock-only mode finds none.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/e2e/harness.h"

namespace pyrace::e2e {
namespace {

std::string ProgramName(const testing::TestParamInfo<Fixture>& p) { return FixtureName(p.param); }

std::string Races(const std::string& name) { return std::string(PYRACE_RACE_TESTDATA) + "/" + name; }

nlohmann::json RunJson(const std::vector<std::string>& extra, const std::string& program, TempDir& tmp,
                       ToolResult* result) {
  const std::string report = tmp.File("report.json");
  std::vector<std::string> args = {"run", "--format", "json", "--output", report};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(program);
  *result = RunPyrace(args);
  return ReadJson(report);
}

class RaceProgram : public testing::TestWithParam<Fixture> {};

TEST_P(RaceProgram, FindingsEqualAnnotationsAndExitCodeFollows) {
  const FixtureResult r = RunFixture(PYRACE_RACE_TESTDATA, GetParam());
  EXPECT_EQ(r.actual, r.expected) << "expected:\n" << Describe(r.expected) << "actual:\n" << Describe(r.actual)
                                  << "stderr:\n" << r.tool.err;
  EXPECT_EQ(r.tool.exit_code, r.expected.empty() ? GetParam().clean_exit : 66) << r.tool.err;
}

INSTANTIATE_TEST_SUITE_P(Races, RaceProgram, testing::ValuesIn(Fixtures(PYRACE_RACE_TESTDATA)), ProgramName);

// 3.13's raw _thread.start_joinable_thread() hands out handles whose join() and
// is_done() are C code; pyrace's proxy for them is the join edge.
TEST(RaceEdges, JoinableThreadHandleJoinAndIsDoneOrderTheThreadsEnd) {
  const std::string python = FindPython(13);
  if (python.empty()) GTEST_SKIP() << "no python3.13 on this machine";
  TempDir tmp;
  ToolResult r;
  const nlohmann::json report = RunJson({"--python", python}, Races("clean_joinable_handle.py"), tmp, &r);
  EXPECT_EQ(FindingsOf(report), FindingSet{}) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("[('a', 44851), ('b', 44851)] True True"), std::string::npos) << r.out << r.err;
}

// The single finding of a report, or null.
nlohmann::json OnlyFinding(const nlohmann::json& report) {
  if (report["findings"].size() != 1) return nullptr;
  return report["findings"][0];
}

bool Has(const nlohmann::json& s, const std::string& part) {
  return s.is_string() && s.get<std::string>().find(part) != std::string::npos;
}

TEST(RaceReport, UnlockedCounterIsALostUpdateOfTheGlobalByName) {
  TempDir tmp;
  ToolResult r;
  const nlohmann::json f = OnlyFinding(RunJson({}, Races("counter_unlocked.py"), tmp, &r));
  ASSERT_FALSE(f.is_null()) << r.err;
  EXPECT_TRUE(Has(f["message"], "lost update")) << f["message"];
  EXPECT_TRUE(Has(f["message"], "counter_unlocked.g_num")) << f["message"];
  EXPECT_EQ(f["locations"][0]["function"], "work");
  ASSERT_GE(f["stacks"].size(), 4u);
  EXPECT_TRUE(Has(f["stacks"][0]["title"], "holding no locks")) << f["stacks"][0]["title"];
  EXPECT_TRUE(Has(f["stacks"][2]["title"], "started at")) << f["stacks"][2]["title"];
}

// `pyrace run -m pytest`: test modules come through pytest's assertion-rewriting import
// hook and are instrumented all the same. Debian's python3-pytest (scripts/setup.sh)
// runs under /usr/bin/python3, which also imports threading after pyrace's wrappers.
TEST(RaceReport, PytestTestModulesAreInstrumented) {
  const std::string project = Races("pytest_project");
  TempDir tmp;
  const std::string report = tmp.File("report.json");
  const ToolResult r = RunPyrace({"run", "--python", "/usr/bin/python3", "--format", "json", "--output", report,
                                  "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"},
                                 {}, project);
  ASSERT_NE(r.out.find("1 passed"), std::string::npos) << "python3-pytest missing? " << r.out << r.err;
  EXPECT_EQ(r.exit_code, 66) << r.err;
  EXPECT_EQ(FindingsOf(ReadJson(report)), Annotations(project + "/tests/test_counter.py")) << r.err;
}

TEST(RaceReport, ThreadsAreNamedAsTheyRenamedThemselves) {
  TempDir tmp;
  ToolResult r;
  const nlohmann::json f = OnlyFinding(RunJson({}, Races("renamed_threads.py"), tmp, &r));
  ASSERT_FALSE(f.is_null()) << r.err;
  EXPECT_TRUE(Has(f["message"], "(worker-0)")) << f["message"];
  EXPECT_TRUE(Has(f["message"], "(worker-1)")) << f["message"];
  EXPECT_FALSE(Has(f["message"], "Thread-")) << f["message"];
}

TEST(RaceReport, PartlyLockedUpdateNamesTheLockTheWriteForgot) {
  TempDir tmp;
  ToolResult r;
  const nlohmann::json f = OnlyFinding(RunJson({}, Races("counter_partly_locked.py"), tmp, &r));
  ASSERT_FALSE(f.is_null()) << r.err;
  EXPECT_TRUE(Has(f["message"], "check-then-act")) << f["message"];
  ASSERT_EQ(f["notes"].size(), 1u);
  // `mutex = threading.Lock()` (line 11) names the lock; the unguarded write is line 20.
  EXPECT_TRUE(Has(f["notes"][0], "Lock counter_partly_locked.mutex (L")) << f["notes"][0];
  EXPECT_TRUE(Has(f["notes"][0], ") guards the other accesses")) << f["notes"][0];
  EXPECT_TRUE(Has(f["notes"][0], "hold it at " + Canonical(Races("counter_partly_locked.py")) + ":20"))
      << f["notes"][0];
}

TEST(RaceReport, CheckThenActShowsTheCheck) {
  TempDir tmp;
  ToolResult r;
  const nlohmann::json f = OnlyFinding(RunJson({}, Races("check_then_act_dict.py"), tmp, &r));
  ASSERT_FALSE(f.is_null()) << r.err;
  EXPECT_TRUE(Has(f["message"], "(check-then-act) on cache[")) << f["message"];
  bool shown = false;
  for (const auto& s : f["stacks"]) {
    if (Has(s["title"], "Checked by")) shown = s["frames"][0]["line"] == 18;
  }
  EXPECT_TRUE(shown) << f.dump(2);
}

// docs/races.md's table says how each shape is reported; every finding of its bug
// program says so.
TEST(RaceReport, ModelRowsAreReportedAsTheTableSays) {
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"counter_unlocked.py", "(lost update)"},
      {"stats_dict_via_attribute.py", "(lost update)"},
      {"equal_hash_keys_shared.py", "(lost update)"},
      {"rmw_dict_get.py", "(check-then-act)"},
      {"counter_partly_locked.py", "(check-then-act)"},
      {"check_then_act_dict.py", "(check-then-act)"},
      {"check_then_act_pop.py", "(check-then-act)"},
      {"local_alias_check_then_pop.py", "(check-then-act) on pending"},
      {"lazy_init_attr.py", "(check-then-act)"},
      {"iterate_while_insert.py", "(size change during iteration) on handlers"},
      {"deque_iterate_while_append.py", "(size change during iteration) on events"},
      {"snapshot_while_insert.py", "(size change during iteration) on sessions"},
      {"append_while_len.py", "(size change during iteration) on results"},
      {"publication_flag.py", "(unsynchronized publication)"},
      {"list_handoff_polled.py", "(unsynchronized publication)"},
      {"conflicting_state_writes.py", "(conflicting writes) on Machine.state"},
      {"own_container_without_lock.py", "(conflicting writes) on Cache._mapping["},
  };
  for (const auto& [program, words] : rows) {
    TempDir tmp;
    ToolResult r;
    const nlohmann::json report = RunJson({}, Races(program), tmp, &r);
    ASSERT_FALSE(report["findings"].empty()) << program << r.err;
    for (const auto& f : report["findings"]) EXPECT_TRUE(Has(f["message"], words)) << program << ": " << f["message"];
  }
}

TEST(RaceModes, LockOnlyModeDoesNotLookForRaces) {
  TempDir tmp;
  ToolResult r;
  const nlohmann::json report = RunJson({"--detect", "deadlocks"}, Races("counter_unlocked.py"), tmp, &r);
  EXPECT_TRUE(report["findings"].empty()) << report.dump(2);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(RaceModes, ReplayFindsTheRecordedRaces) {
  TempDir tmp;
  const std::string trace = tmp.File("run.pyrt"), live = tmp.File("live.json"), offline = tmp.File("off.json");
  const ToolResult rec = RunPyrace({"record", "-o", trace, "--format", "json", "--output", live,
                                    Races("producer_consumer_unlocked.py")});
  ASSERT_EQ(rec.exit_code, 66) << rec.err;
  const ToolResult rep = RunPyrace({"replay", trace, "--format", "json", "--output", offline});
  EXPECT_EQ(rep.exit_code, 1) << rep.err;
  EXPECT_EQ(ReadJson(offline)["findings"], ReadJson(live)["findings"]);
  EXPECT_EQ(FindingsOf(ReadJson(offline)), Annotations(Races("producer_consumer_unlocked.py")));
}

TEST(RaceModes, IgnoreCommentSilencesTheRace) {
  TempDir tmp;
  std::string src = ReadText(Races("counter_unlocked.py"));
  const std::string marker = "# expect: data-race";
  src.replace(src.find(marker), marker.size(), "# pyrace: ignore[data-race]");
  WriteText(tmp.File("counter.py"), src);
  ToolResult r;
  const nlohmann::json report = RunJson({}, tmp.File("counter.py"), tmp, &r);
  EXPECT_TRUE(report["findings"].empty()) << report.dump(2);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(RaceModes, SuppressionByQualifiedNameMatchesRaceFrames) {
  TempDir tmp;
  WriteText(tmp.File("supp.txt"), "race_top:^work$\n");
  ToolResult r;
  const nlohmann::json report =
      RunJson({"--suppressions", tmp.File("supp.txt")}, Races("counter_unlocked.py"), tmp, &r);
  EXPECT_TRUE(report["findings"].empty()) << report.dump(2);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace
}  // namespace pyrace::e2e
