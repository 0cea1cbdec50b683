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
