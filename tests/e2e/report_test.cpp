// The report as users see it: the text layout, suppressions files, --output.
#include <gtest/gtest.h>

#include "tests/e2e/harness.h"

namespace pyrace::e2e {
namespace {

TEST(Report, TextHasTsanHeaderFramesAndSummary) {
  const std::string prog = Testdata("seed_early_return_deadlock.py");
  const ToolResult r = RunPyrace({"run", prog});
  EXPECT_EQ(r.exit_code, 66);
  const std::string line = std::to_string(std::get<2>(*Annotations(prog).begin()));
  EXPECT_NE(r.err.find("==WARNING: pyrace: missed-release (pid="), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("==WARNING: pyrace: deadlock (pid="), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("SUMMARY: pyrace: missed-release " + prog + ":" + line + " in get_value\n"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("    #0 get_value " + prog + ":" + line + "\n        lock.acquire()"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("pyrace: reported 2 warnings\n"), std::string::npos) << r.err;
}

TEST(Report, OutputFileTakesTheReport) {
  TempDir tmp;
  const std::string report = tmp.File("report.txt");
  const ToolResult r = RunPyrace({"run", "--output", report, Testdata("lockdep_abba.py")});
  EXPECT_EQ(r.exit_code, 66);
  EXPECT_EQ(r.err.find("WARNING: pyrace"), std::string::npos) << r.err;
  EXPECT_NE(ReadText(report).find("WARNING: pyrace: lock-order-inversion"), std::string::npos);
}

TEST(Report, UnwritableOutputStopsBeforeRunning) {
  const ToolResult r =
      RunPyrace({"run", "--output", "/nonexistent/dir/report.txt", Testdata("echo_argv.py"), "ran"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("cannot write the report to '/nonexistent/dir/report.txt'"), std::string::npos) << r.err;
}

TEST(Report, OutputDashIsStandardOutput) {
  const ToolResult r = RunPyrace({"run", "--format", "json", "--output", "-", Testdata("lockdep_abba.py")});
  EXPECT_EQ(r.exit_code, 66);
  EXPECT_EQ(FindingsOf(nlohmann::json::parse(r.out)), Annotations(Testdata("lockdep_abba.py"))) << r.out;
}

TEST(Report, SuppressionsDropFindingsAndListUnusedOnes) {
  TempDir tmp;
  const std::string supp = tmp.File("supp.txt");
  WriteText(supp, "# the ABBA test is deliberate\ndeadlock:take_BA\nrace:never_matches\n");
  const std::string report = tmp.File("report.json");
  const ToolResult r = RunPyrace(
      {"run", "--suppressions", supp, "--format", "json", "--output", report, Testdata("lockdep_abba.py")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = ReadJson(report);
  EXPECT_TRUE(j["findings"].empty()) << j.dump(2);
  EXPECT_EQ(j["suppressed"], 1);
  ASSERT_EQ(j["unused_suppressions"].size(), 1u);
  EXPECT_EQ(j["unused_suppressions"][0], "race:never_matches (" + supp + ":3)");
}

TEST(Report, BadSuppressionsFileStopsBeforeRunning) {
  TempDir tmp;
  const std::string supp = tmp.File("supp.txt");
  WriteText(supp, "rase:typo\n");
  const ToolResult r = RunPyrace({"run", "--suppressions", supp, Testdata("echo_argv.py"), "ran"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(supp + ":1: unknown suppression type 'rase'"), std::string::npos) << r.err;
}

TEST(Report, SarifNamesTheKindAndThePrimaryLine) {
  TempDir tmp;
  const std::string report = tmp.File("report.sarif");
  const std::string prog = Testdata("lockdep_abba.py");
  const ToolResult r = RunPyrace({"run", "--format", "sarif", "--output", report, prog});
  EXPECT_EQ(r.exit_code, 66) << r.err;
  const nlohmann::json j = ReadJson(report);
  EXPECT_EQ(j["version"], "2.1.0");
  ASSERT_EQ(j["runs"][0]["results"].size(), 1u) << j.dump(2);
  const auto& result = j["runs"][0]["results"][0];
  EXPECT_EQ(result["ruleId"], "lock-order-inversion");
  EXPECT_EQ(result["locations"][0]["physicalLocation"]["region"]["startLine"],
            std::get<2>(*Annotations(prog).begin()));
}

TEST(Report, LintIsDispatched) {
  const ToolResult r = RunPyrace({"lint", "--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// `run` and `lint` read ignore comments with one parser: for each comment on the acquire
// line, both report the missed release there or both silence it.
TEST(Report, RunAndLintAgreeOnIgnoreComments) {
  const std::string program = ReadText(Testdata("ignored_missed_release.py"));
  const std::string marker = "# pyrace: ignore[missed-release]";
  ASSERT_NE(program.find(marker), std::string::npos);
  struct Case {
    std::string comment;
    bool silenced;
  };
  const std::vector<Case> cases = {
      {"# pyrace: ignore[missed-release]", true},
      {"# pyrace: ignore", true},
      {"# pyrace: ignore  the caller releases it", true},
      {"# why not  # pyrace: ignore[data-race, missed-release]", true},
      {"# pyrace: ignored until the refactor lands", false},
      {"# pyrace: ignore-me", false},
      {"# pyrace: ignore[data-race]", false},
      {"# pyrace: ignore[missed-release", false},
      {"; print('# pyrace: ignore')", false},
      {"", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.comment);
    TempDir tmp;
    std::string src = program;
    src.replace(src.find(marker), marker.size(), c.comment);
    const std::string prog = tmp.File("prog.py");
    WriteText(prog, src);
    const FindingSet expected =
        c.silenced ? FindingSet{} : FindingSet{{"missed-release", Canonical(prog), 10}};

    const std::string report = tmp.File("run.json");
    const ToolResult run = RunPyrace({"run", "--format=json", "--output", report, prog});
    EXPECT_EQ(run.exit_code, c.silenced ? 0 : 66) << run.err;
    EXPECT_EQ(FindingsOf(ReadJson(report)), expected);

    const ToolResult lint = RunPyrace({"lint", "--format", "json", prog});
    EXPECT_EQ(lint.exit_code, c.silenced ? 0 : 1) << lint.err;
    EXPECT_EQ(FindingsOf(nlohmann::json::parse(lint.out)), expected) << lint.out;
  }
}

}  // namespace
}  // namespace pyrace::e2e
