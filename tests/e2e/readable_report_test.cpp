// Reports a person takes in at a glance: locks under the names the program keeps them
// by, in run and replay and in both modes; the standard library's thread and lock
// machinery folded in text (every frame with --full-stacks, and always in JSON).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "tests/e2e/harness.h"

namespace pyrace::e2e {
namespace {

const char kProgram[] = "named_locks_cycle.py";

std::string Message(const nlohmann::json& report) {
  EXPECT_EQ(report["findings"].size(), 1u) << report.dump(2);
  return report["findings"].empty() ? std::string() : report["findings"][0]["message"].get<std::string>();
}

// Each lock by where the program first stores it; the id stays beside the name.
void ExpectNamedCycle(const std::string& message) {
  EXPECT_NE(message.find("PooledDatabase._pool_lock (L"), std::string::npos) << message;  // self.x in a method
  EXPECT_NE(message.find("named_locks_cycle.DOWNLOADER_LOCK (L"), std::string::npos) << message;  // global
  EXPECT_NE(message.find("Account.lock (L"), std::string::npos) << message;  // class attribute
  EXPECT_EQ(message.find("created at"), std::string::npos) << message;       // every lock has a name
}

class LockNames : public ::testing::TestWithParam<std::string> {};

TEST_P(LockNames, RunNamesEachLockByItsStore) {
  TempDir tmp;
  const std::string report = tmp.File("r.json");
  const ToolResult r =
      RunPyrace({"run", "--detect", GetParam(), "--format", "json", "--output", report, Testdata(kProgram)});
  ASSERT_EQ(r.exit_code, 66) << r.err;
  const nlohmann::json j = ReadJson(report);
  ExpectNamedCycle(Message(j));
  EXPECT_EQ(FindingsOf(j), Annotations(Testdata(kProgram)));
  // Section titles and the hint use the same names.
  bool titled = false;
  for (const auto& s : j["findings"][0]["stacks"]) {
    titled = titled || s["title"].get<std::string>().rfind("Lock PooledDatabase._pool_lock (L", 0) == 0;
  }
  EXPECT_TRUE(titled) << j.dump(2);
  EXPECT_NE(j["findings"][0]["notes"][0].get<std::string>().find("Account.lock (L"), std::string::npos);
}

TEST_P(LockNames, ReplayKeepsTheNames) {
  TempDir tmp;
  const std::string trace = tmp.File("t.pyrt");
  const ToolResult rec = RunPyrace({"record", "-o", trace, "--detect", GetParam(), "--output",
                                    tmp.File("live.txt"), Testdata(kProgram)});
  ASSERT_EQ(rec.exit_code, 66) << rec.err;
  const ToolResult r = RunPyrace({"replay", trace, "--format", "json"});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  ExpectNamedCycle(Message(nlohmann::json::parse(r.out)));
}

// Lock-only mode reads the store from the bytecode; race mode's rewriter turns
// `self.x = Lock()` into a hook call, which names it instead.
INSTANTIATE_TEST_SUITE_P(Modes, LockNames, ::testing::Values("deadlocks", "races,deadlocks"),
                         [](const auto& p) { return p.index == 0 ? "LockOnly" : "Races"; });

TEST(LockNames, ModuleGlobalOfTheMainScriptIsNamedByTheScript) {
  TempDir tmp;
  const std::string report = tmp.File("r.json");
  const std::string prog = Testdata("seed_early_return_deadlock.py");
  const ToolResult r = RunPyrace({"run", "--format", "json", "--output", report, prog});
  ASSERT_EQ(r.exit_code, 66) << r.err;
  // `lock = threading.Lock()` at module level is the module's global.
  bool named = false;
  const nlohmann::json j = ReadJson(report);
  for (const auto& f : j["findings"]) {
    named = named || f["message"].get<std::string>().find("seed_early_return_deadlock.lock (L") != std::string::npos;
  }
  EXPECT_TRUE(named) << ReadText(report);
}

TEST(FoldedFrames, TextFoldsThreadingBootstrapAndFullStacksShowsIt) {
  const std::string prog = Testdata(kProgram);
  const ToolResult folded = RunPyrace({"run", "--detect", "deadlocks", prog});
  ASSERT_EQ(folded.exit_code, 66) << folded.err;
  // The thread's own function, then one line for Thread.run/_bootstrap_inner/_bootstrap.
  EXPECT_NE(folded.err.find("    #0 charge_then_connect " + prog + ":43\n        with db._pool_lock:"
                            "  # expect: lock-order-inversion\n"
                            "    #1-#3 folded: 3 frames in threading.py (--full-stacks shows them)\n"),
            std::string::npos)
      << folded.err;
  EXPECT_EQ(folded.err.find("_bootstrap_inner"), std::string::npos) << folded.err;
  // The API the program called stays: Thread.start is where the threads started.
  EXPECT_NE(folded.err.find("    #0 Thread.start "), std::string::npos) << folded.err;

  const ToolResult full = RunPyrace({"run", "--detect", "deadlocks", "--full-stacks", prog});
  ASSERT_EQ(full.exit_code, 66) << full.err;
  EXPECT_EQ(full.err.find(" folded: "), std::string::npos) << full.err;
  EXPECT_NE(full.err.find("    #1 Thread.run "), std::string::npos) << full.err;
  EXPECT_NE(full.err.find("    #2 Thread._bootstrap_inner "), std::string::npos) << full.err;
}

TEST(FoldedFrames, JsonKeepsEveryFrame) {
  TempDir tmp;
  const std::string report = tmp.File("r.json");
  const ToolResult r =
      RunPyrace({"run", "--detect", "deadlocks", "--format", "json", "--output", report, Testdata(kProgram)});
  ASSERT_EQ(r.exit_code, 66) << r.err;
  const nlohmann::json j = ReadJson(report);
  const auto& frames = j["findings"][0]["stacks"][0]["frames"];
  ASSERT_EQ(frames.size(), 4u) << frames.dump(2);
  EXPECT_EQ(frames[2]["function"], "Thread._bootstrap_inner");
}

// Debian's python3 has pytest (python3-pytest, scripts/setup.sh).
bool HavePytest() { return std::system("/usr/bin/python3 -c 'import pytest' 2>/dev/null") == 0; }

TEST(TestIds, EachStackNamesTheTestItsThreadBelongsTo) {
  if (!HavePytest()) GTEST_SKIP() << "no pytest for /usr/bin/python3";
  TempDir tmp;
  const std::string report = tmp.File("r.json");
  const std::string dir = Testdata("pytest_suite");
  const ToolResult r = RunPyrace({"run", "--python", "/usr/bin/python3", "--format", "json", "--output", report,
                                  "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_pool.py"},
                                 {}, dir);
  ASSERT_EQ(r.exit_code, 66) << r.out << r.err;
  EXPECT_NE(r.out.find("4 passed"), std::string::npos) << r.out;
  const nlohmann::json j = ReadJson(report);
  EXPECT_EQ(FindingsOf(j), Annotations(dir + "/test_pool.py"));
  for (const auto& f : j["findings"]) {
    const std::string kind = f["kind"];
    // The worker thread was started by test_leaves_worker and forgot its release
    // while test_later ran: it is still test_leaves_worker's.
    const std::string want = kind == "lock-order-inversion" ? "test_pool.py::test_inversion"
                                                            : "test_pool.py::test_leaves_worker";
    size_t with_test = 0;
    for (const auto& s : f["stacks"]) {
      const std::string title = s["title"];
      if (title.find("created at") != std::string::npos) {
        EXPECT_FALSE(s.contains("test")) << title;  // module import, before any test
        continue;
      }
      ASSERT_TRUE(s.contains("test")) << kind << ": " << s.dump(2);
      EXPECT_EQ(s["test"], want) << kind << ": " << title;
      ++with_test;
    }
    EXPECT_GE(with_test, 2u) << f.dump(2);
  }
}

TEST(TestIds, TextGroupsFindingsByTest) {
  if (!HavePytest()) GTEST_SKIP() << "no pytest for /usr/bin/python3";
  const std::string dir = Testdata("pytest_suite");
  const ToolResult r = RunPyrace({"run", "--python", "/usr/bin/python3", "-m", "pytest", "-q", "-p",
                                  "no:cacheprovider", "test_pool.py"},
                                 {}, dir);
  ASSERT_EQ(r.exit_code, 66) << r.err;
  const size_t inversion = r.err.find("pyrace: in test test_pool.py::test_inversion:\n==================\n");
  const size_t worker = r.err.find("pyrace: in test test_pool.py::test_leaves_worker:\n==================\n");
  ASSERT_NE(inversion, std::string::npos) << r.err;
  ASSERT_NE(worker, std::string::npos) << r.err;
  const size_t inversion_warning = r.err.find("WARNING: pyrace: lock-order-inversion");
  const size_t missed_warning = r.err.find("WARNING: pyrace: missed-release");
  ASSERT_NE(inversion_warning, std::string::npos) << r.err;
  ASSERT_NE(missed_warning, std::string::npos) << r.err;
  EXPECT_LT(inversion, inversion_warning);
  EXPECT_LT(worker, missed_warning);
  EXPECT_LT(inversion_warning, worker);
}

// Outside pytest nothing names a test, and the text has no groups.
TEST(TestIds, NoTestsOutsidePytest) {
  const ToolResult r = RunPyrace({"run", Testdata(kProgram)});
  ASSERT_EQ(r.exit_code, 66) << r.err;
  EXPECT_EQ(r.err.find("in test"), std::string::npos) << r.err;
}

// The HTML page groups findings by test as the text does, from the live run and from
// its replay alike.
TEST(TestIds, HtmlGroupsFindingsByTest) {
  if (!HavePytest()) GTEST_SKIP() << "no pytest for /usr/bin/python3";
  TempDir tmp;
  const std::string live = tmp.File("live.html");
  const std::string trace = tmp.File("t.pyrt");
  const std::string replayed = tmp.File("replay.html");
  const std::string dir = Testdata("pytest_suite");
  const ToolResult r = RunPyrace({"record", "-o", trace, "--python", "/usr/bin/python3", "--format", "html",
                                  "--output", live, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_pool.py"},
                                 {}, dir);
  ASSERT_EQ(r.exit_code, 66) << r.out << r.err;
  const ToolResult rr = RunPyrace({"replay", trace, "--format", "html", "--output", replayed}, {}, dir);
  ASSERT_EQ(rr.exit_code, 1) << rr.err;
  for (const std::string& path : {live, replayed}) {
    const std::string html = ReadText(path);
    const size_t inversion = html.find("<h2 class=\"test\">in test <code>test_pool.py::test_inversion</code></h2>");
    const size_t worker = html.find("<h2 class=\"test\">in test <code>test_pool.py::test_leaves_worker</code></h2>");
    const size_t inversion_finding = html.find("data-kind=\"lock-order-inversion\"");
    const size_t missed_finding = html.find("data-kind=\"missed-release\"");
    ASSERT_NE(inversion, std::string::npos) << path;
    ASSERT_NE(worker, std::string::npos) << path;
    ASSERT_NE(inversion_finding, std::string::npos) << path;
    ASSERT_NE(missed_finding, std::string::npos) << path;
    EXPECT_LT(inversion, inversion_finding) << path;
    EXPECT_LT(inversion_finding, worker) << path;
    EXPECT_LT(worker, missed_finding) << path;
    // The inversion of A and B drawn: both locks under their names, two cycle edges.
    EXPECT_NE(html.find(">test_pool.A</text>"), std::string::npos) << path;
    EXPECT_NE(html.find(">test_pool.B</text>"), std::string::npos) << path;
  }
}

// A page needs a file: asked for on the program's stderr, it is a usage error before
// anything runs.
TEST(HtmlReport, NeedsAnOutputFile) {
  TempDir tmp;
  const std::string marker = tmp.File("ran");
  const std::string program = tmp.File("p.py");
  WriteText(program, "open(" + std::string("'") + marker + "', 'w').close()\n");
  const ToolResult r = RunPyrace({"run", "--format", "html", program});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--format html writes a page: give --output FILE.html"), std::string::npos) << r.err;
  EXPECT_FALSE(std::ifstream(marker).good()) << "the program ran";
}

// The cycle's graph in the page, with every lock under the program's name for it and
// the hold timeline of the three locks; the live run's and the replay's pages agree.
TEST(HtmlReport, LockOrderCycleDrawnInRunAndReplay) {
  TempDir tmp;
  const std::string live = tmp.File("live.html");
  const std::string trace = tmp.File("t.pyrt");
  const std::string replayed = tmp.File("replay.html");
  const ToolResult r = RunPyrace({"record", "-o", trace, "--format", "html", "--output", live, Testdata(kProgram)});
  ASSERT_EQ(r.exit_code, 66) << r.err;
  const ToolResult rr = RunPyrace({"replay", trace, "--format", "html", "--output", replayed});
  ASSERT_EQ(rr.exit_code, 1) << rr.err;
  const std::string html = ReadText(live);
  EXPECT_EQ(html, ReadText(replayed));
  for (const char* name : {">PooledDatabase._pool_lock</text>", ">named_locks_cycle.DOWNLOADER_LOCK</text>",
                           ">Account.lock</text>"}) {
    EXPECT_NE(html.find(name), std::string::npos) << name;
  }
  size_t edges = 0;
  for (size_t at = html.find("<g class=\"edge cycle\""); at != std::string::npos;
       at = html.find("<g class=\"edge cycle\"", at + 1)) {
    ++edges;
  }
  EXPECT_EQ(edges, 3u);
  // Each thread held its outer lock and then its inner one: six holds, none left open.
  size_t holds = 0;
  for (size_t at = html.find("<rect class=\"hold "); at != std::string::npos;
       at = html.find("<rect class=\"hold ", at + 1)) {
    ++holds;
  }
  EXPECT_EQ(holds, 6u);
  EXPECT_EQ(html.find(" open\" data-lock"), std::string::npos);
}

// `pyrace lint --format html`: the same page over the linter's findings, each with the
// source of its line.
TEST(HtmlReport, LintWritesThePage) {
  TempDir tmp;
  const std::string page = tmp.File("lint.html");
  const ToolResult r = RunPyrace({"lint", "--format", "html", "-o", page, Testdata("../lint/PYR004.py")});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  const std::string html = ReadText(page);
  size_t findings = 0;
  for (size_t at = html.find("data-kind=\"lock-order-inversion\""); at != std::string::npos;
       at = html.find("data-kind=\"lock-order-inversion\"", at + 1)) {
    ++findings;
  }
  size_t expected = 0;
  for (const auto& [kind, file, line] : Annotations(Testdata("../lint/PYR004.py"))) expected += kind == "PYR004";
  EXPECT_EQ(findings, expected);
  EXPECT_GT(expected, 0u);
  EXPECT_NE(html.find("<code>PYR004</code>"), std::string::npos);
  EXPECT_NE(html.find("</span>          with b:  # expect: PYR004</mark>"), std::string::npos) << html;
}

}  // namespace
}  // namespace pyrace::e2e
