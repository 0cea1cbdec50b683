// fork-with-held-lock and its clean twin under `pyrace run`, and lock-order inversions
// merged across recorded runs by `pyrace replay` (traces, a directory of them, and
// lock-class summaries as a reduce step): kind, file, line and exit code.
#include <gtest/gtest.h>

#include "tests/e2e/harness.h"

namespace pyrace::e2e {
namespace {

std::string Children(const std::string& name) { return Testdata("../children/" + name); }

TEST(ForkWithHeldLock, ReportedWithTheLockHolderAndFork) {
  TempDir tmp;
  const std::string report = tmp.File("r.json");
  const std::string program = Children("fork_with_held_lock.py");
  ToolResult r = RunPyrace({"run", "--format", "json", "--output", report, program});
  EXPECT_EQ(r.exit_code, 66) << r.err;
  EXPECT_NE(r.out.find("child exited with 0"), std::string::npos) << r.out;
  nlohmann::json j = ReadJson(report);
  EXPECT_EQ(FindingsOf(j), Annotations(program)) << r.err;
  ASSERT_EQ(j["findings"].size(), 1u);
  const nlohmann::json& f = j["findings"][0];
  EXPECT_EQ(f["kind"], "fork-with-held-lock");
  EXPECT_NE(f["message"].get<std::string>().find("cache_lock"), std::string::npos) << f["message"];
  // The holder's acquire: `with cache_lock:` in worker.
  ASSERT_GE(f["stacks"].size(), 2u);
  EXPECT_EQ(f["stacks"][1]["frames"][0]["line"], 12);
  EXPECT_EQ(f["stacks"][1]["frames"][0]["function"], "worker");

  const std::string sarif = tmp.File("r.sarif");
  r = RunPyrace({"run", "--format", "sarif", "--output", sarif, program});
  EXPECT_EQ(r.exit_code, 66) << r.err;
  nlohmann::json s = ReadJson(sarif);
  ASSERT_EQ(s["runs"][0]["results"].size(), 1u);
  EXPECT_EQ(s["runs"][0]["results"][0]["ruleId"], "fork-with-held-lock");
}

TEST(ForkWithHeldLock, CleanTwin) {
  TempDir tmp;
  const std::string report = tmp.File("r.json");
  ToolResult r = RunPyrace({"run", "--format", "json", "--output", report, Children("fork_clean.py")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("child exited with 0"), std::string::npos) << r.out;
  EXPECT_TRUE(ReadJson(report)["findings"].empty()) << r.err;
}

// Records `lock_order_run.py order` into dir/name; that run alone is clean.
std::string Record(const TempDir& tmp, const std::string& name, const std::string& order) {
  const std::string trace = tmp.File(name);
  ToolResult r = RunPyrace({"record", "-o", trace, "--format", "json", "--output", tmp.File(name + ".json"),
                            Children("lock_order_run.py"), order});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(ReadJson(tmp.File(name + ".json"))["findings"].empty());
  return trace;
}

void ExpectCrossRunInversion(const ToolResult& r, const std::string& report) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  nlohmann::json j = ReadJson(report);
  EXPECT_EQ(FindingsOf(j), Annotations(Children("lock_order_run.py"))) << r.err;
  ASSERT_EQ(j["findings"].size(), 1u);
  const std::string message = j["findings"][0]["message"];
  EXPECT_NE(message.find("lock-order inversion across processes: lock_order_run.audit_lock"), std::string::npos)
      << message;
  EXPECT_NE(message.find("a.pyrt"), std::string::npos) << message;
  EXPECT_NE(message.find("b.pyrt"), std::string::npos) << message;
}

TEST(MergeRuns, TwoRecordedRuns) {
  TempDir tmp;
  const std::string a = Record(tmp, "a.pyrt", "ab"), b = Record(tmp, "b.pyrt", "ba");
  const std::string report = tmp.File("merged.json");
  ExpectCrossRunInversion(RunPyrace({"replay", a, b, "--format", "json", "--output", report}), report);
  // Each alone is still clean.
  ToolResult r = RunPyrace({"replay", a, "--format", "json", "--output", report});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(MergeRuns, SummariesAsTheReduceStep) {
  TempDir tmp;
  const std::string a = Record(tmp, "a.pyrt", "ab"), b = Record(tmp, "b.pyrt", "ba");
  const std::string dir = tmp.File("summaries");
  // Map: one job per trace, each writing its summary (and reporting its own findings).
  for (const std::string& trace : {a, b}) {
    ToolResult r = RunPyrace({"replay", trace, "--summary-out", dir + "/", "--format", "json", "--output",
                              tmp.File("own.json")});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  ToolResult r = RunPyrace({"replay", a, "--summary-out", tmp.File("one.json"), "--format", "json", "--output",
                            tmp.File("own.json")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadJson(tmp.File("one.json"))["format"], "pyrace-lock-classes");
  // Reduce: the directory of summaries.
  const std::string report = tmp.File("merged.json");
  ExpectCrossRunInversion(RunPyrace({"replay", dir + "/a.pyrt.summary.json", dir + "/b.pyrt.summary.json",
                                     "--format", "json", "--output", report}),
                          report);
  ExpectCrossRunInversion(RunPyrace({"replay", dir, "--format", "json", "--output", report}), report);
}

TEST(MergeRuns, DirectoryOfTraces) {
  TempDir tmp;
  Record(tmp, "a.pyrt", "ab");
  Record(tmp, "b.pyrt", "ba");
  const std::string traces = tmp.File("traces");
  ASSERT_EQ(std::system(("mkdir " + traces + " && mv " + tmp.File("a.pyrt") + " " + tmp.File("b.pyrt") + " " +
                         traces).c_str()),
            0);
  const std::string report = tmp.File("merged.json");
  ExpectCrossRunInversion(RunPyrace({"replay", traces, "--format", "json", "--output", report}), report);
}

TEST(MergeRuns, BadSummaryIsAnError) {
  TempDir tmp;
  const std::string bad = tmp.File("bad.json");
  WriteText(bad, R"({"format": "pyrace-lock-classes", "version": 1})");
  ToolResult r = RunPyrace({"replay", bad});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.json': bad lock-class summary"), std::string::npos) << r.err;
  r = RunPyrace({"replay", tmp.path()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

}  // namespace
}  // namespace pyrace::e2e
