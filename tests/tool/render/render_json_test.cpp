#include <gtest/gtest.h>

#include <sstream>

#include "tests/tool/sample_findings.h"
#include "tool/render/json.h"

namespace pyrace {
namespace {

TEST(RenderJson, FindingCarriesKindLocationsStacksNotesCount) {
  const nlohmann::ordered_json j = FindingToJson(test::MissedRelease("seed.py"));
  EXPECT_EQ(j["kind"], "missed-release");
  EXPECT_EQ(j["severity"], "error");
  EXPECT_FALSE(j.contains("rule"));
  ASSERT_EQ(j["locations"].size(), 1u);
  EXPECT_EQ(j["locations"][0]["file"], "seed.py");
  EXPECT_EQ(j["locations"][0]["line"], 7);
  EXPECT_EQ(j["locations"][0]["function"], "get_value");
  EXPECT_FALSE(j["locations"][0].contains("column"));
  ASSERT_EQ(j["stacks"].size(), 3u);
  EXPECT_EQ(j["stacks"][1]["title"], "get_value returned here:");
  EXPECT_EQ(j["stacks"][0]["frames"][1]["function"], "Thread.run");
  EXPECT_EQ(j["stacks"][0]["frames"][1]["line"], 975);
  EXPECT_EQ(j["notes"][0], "release the lock in a finally: block, or use `with lock:`");
  EXPECT_EQ(j["count"], 3);
  EXPECT_EQ(j["fingerprint"], "abc123");
}

TEST(RenderJson, LintFindingsKeepRuleAndColumns) {
  Finding f = test::Race("a.py");
  f.rule = "PYR004";
  f.primary.column = 5;
  const nlohmann::ordered_json j = FindingToJson(f);
  EXPECT_EQ(j["rule"], "PYR004");
  EXPECT_EQ(j["locations"][0]["column"], 5);
}

TEST(RenderJson, LockGraphAndHoldsNameNodesByIdWithBothAcquireSites) {
  Finding f = test::Race("bank.py");
  f.kind = FindingKind::kLockOrderInversion;
  GraphNode a{GraphNodeKind::kLock, "L1", "Ledger.log_lock", ""};
  a.created = test::Loc("bank.py", 5, "Ledger.__init__");
  GraphNode b{GraphNodeKind::kLock, "L2", "", "created at bank.py:30"};
  f.graph.nodes = {a, b};
  GraphEdge ab{0, 1, "Thread-1 at bank.py:12", test::Loc("bank.py", 12, "move"), true, 0};
  ab.thread = "T1 (Thread-1)";
  ab.held_site = test::Loc("bank.py", 11, "move");
  GraphEdge ba{1, 0, "waits at bank.py:20", test::Loc("bank.py", 20, "back"), false, -1};
  f.graph.edges = {ab, ba};
  f.holds.push_back({"T1", "T1 (Thread-1)", "L1", "Ledger.log_lock (L1)", 100, 900, true, test::Loc("bank.py", 11, "move")});

  const nlohmann::ordered_json j = FindingToJson(f);
  ASSERT_EQ(j["graph"]["nodes"].size(), 2u);
  EXPECT_EQ(j["graph"]["nodes"][0]["id"], "L1");
  EXPECT_EQ(j["graph"]["nodes"][0]["kind"], "lock");
  EXPECT_EQ(j["graph"]["nodes"][0]["name"], "Ledger.log_lock");
  EXPECT_EQ(j["graph"]["nodes"][0]["created"]["line"], 5);
  EXPECT_FALSE(j["graph"]["nodes"][0].contains("note"));
  EXPECT_EQ(j["graph"]["nodes"][1]["note"], "created at bank.py:30");
  EXPECT_FALSE(j["graph"]["nodes"][1].contains("created"));
  ASSERT_EQ(j["graph"]["edges"].size(), 2u);
  const auto& e = j["graph"]["edges"][0];
  EXPECT_EQ(e["from"], "L1");
  EXPECT_EQ(e["to"], "L2");
  EXPECT_EQ(e["thread"], "T1 (Thread-1)");
  EXPECT_EQ(e["site"]["line"], 12);
  EXPECT_EQ(e["held_site"]["line"], 11);
  EXPECT_EQ(e["on_cycle"], true);
  EXPECT_EQ(e["stack"], 0);
  const auto& w = j["graph"]["edges"][1];
  EXPECT_FALSE(w.contains("thread"));
  EXPECT_FALSE(w.contains("held_site"));
  EXPECT_FALSE(w.contains("stack"));
  EXPECT_EQ(w["label"], "waits at bank.py:20");
  ASSERT_EQ(j["holds"].size(), 1u);
  EXPECT_EQ(j["holds"][0]["lock_id"], "L1");
  EXPECT_EQ(j["holds"][0]["begin_us"], 100);
  EXPECT_EQ(j["holds"][0]["end_us"], 900);
  EXPECT_EQ(j["holds"][0]["open"], true);
  EXPECT_EQ(j["holds"][0]["site"]["line"], 11);
}

TEST(RenderJson, FindingsWithoutAGraphHaveNoGraphOrHolds) {
  const nlohmann::ordered_json j = FindingToJson(test::Race("a.py"));
  EXPECT_FALSE(j.contains("graph"));
  EXPECT_FALSE(j.contains("holds"));
}

TEST(RenderJson, ReportRoundTripsThroughTheParser) {
  ReportInfo info;
  info.pid = 77;
  info.suppressed = 1;
  info.unused_suppressions = {"deadlock:x (s:2)"};
  std::ostringstream out;
  RenderJson({test::Race("a.py"), test::MissedRelease("b.py")}, info, out);
  const nlohmann::json j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["pid"], 77);
  ASSERT_EQ(j["findings"].size(), 2u);
  EXPECT_EQ(j["findings"][0]["kind"], "data-race");
  EXPECT_EQ(j["findings"][1]["kind"], "missed-release");
  EXPECT_EQ(j["suppressed"], 1);
  EXPECT_EQ(j["unused_suppressions"][0], "deadlock:x (s:2)");
}

TEST(RenderJson, EmptyReportHasAnEmptyFindingsArray) {
  std::ostringstream out;
  RenderJson({}, {}, out);
  const nlohmann::json j = nlohmann::json::parse(out.str());
  EXPECT_TRUE(j["findings"].is_array());
  EXPECT_TRUE(j["findings"].empty());
  EXPECT_FALSE(j.contains("pid"));
}

}  // namespace
}  // namespace pyrace
