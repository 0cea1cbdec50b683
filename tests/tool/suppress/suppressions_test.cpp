#include <gtest/gtest.h>

#include "tests/tool/sample_findings.h"
#include "tool/suppress/suppressions.h"

namespace pyrace {
namespace {

TEST(TemplateMatch, SubstringGlobsAndAnchors) {
  EXPECT_TRUE(TemplateMatch("deposit", "Account.deposit"));
  EXPECT_TRUE(TemplateMatch("Acc*dep", "Account.deposit"));
  EXPECT_TRUE(TemplateMatch("^Account", "Account.deposit"));
  EXPECT_FALSE(TemplateMatch("^deposit", "Account.deposit"));
  EXPECT_TRUE(TemplateMatch("deposit$", "Account.deposit"));
  EXPECT_FALSE(TemplateMatch("Account$", "Account.deposit"));
  EXPECT_TRUE(TemplateMatch("^Account.deposit$", "Account.deposit"));
  EXPECT_TRUE(TemplateMatch("^*.deposit$", "Account.deposit"));
  EXPECT_FALSE(TemplateMatch("withdraw", "Account.deposit"));
  EXPECT_TRUE(TemplateMatch("*", ""));
}

Suppressions Parsed(const std::string& text) {
  Suppressions s;
  std::string error;
  EXPECT_TRUE(s.Parse(text, "supp.txt", &error)) << error;
  return s;
}

TEST(Suppressions, RaceMatchesAnyFrameOfADataRace) {
  Suppressions s = Parsed("# comment\n\nrace:run_all\n");
  EXPECT_TRUE(s.Suppresses(test::Race("app.py")));
  EXPECT_FALSE(s.Suppresses(test::MissedRelease("app.py")));
  EXPECT_TRUE(s.Unused().empty());
}

TEST(Suppressions, RaceTopMatchesOnlyTopFrames) {
  Suppressions top = Parsed("race_top:run_all\n");
  EXPECT_FALSE(top.Suppresses(test::Race("app.py")));
  Suppressions top2 = Parsed("race_top:peek\n");
  EXPECT_TRUE(top2.Suppresses(test::Race("app.py")));
}

TEST(Suppressions, FilesAndDottedModulesMatch) {
  EXPECT_TRUE(Parsed("race:pkg.helpers").Suppresses(test::Race("app.py")));
  EXPECT_TRUE(Parsed("race:lib/pkg/*.py").Suppresses(test::Race("app.py")));
  EXPECT_FALSE(Parsed("race:^pkg.helpers").Suppresses(test::Race("app.py")));
}

TEST(Suppressions, MutexCoversReleaseKindsAndDeadlockCoversLockOrder) {
  EXPECT_TRUE(Parsed("mutex:get_value").Suppresses(test::MissedRelease("seed.py")));
  Finding inversion = test::Race("a.py");
  inversion.kind = FindingKind::kLockOrderInversion;
  EXPECT_TRUE(Parsed("deadlock:Worker.bump").Suppresses(inversion));
  EXPECT_FALSE(Parsed("deadlock:get_value").Suppresses(test::MissedRelease("seed.py")));
}

TEST(Suppressions, KindIdsAreTypesToo) {
  EXPECT_TRUE(Parsed("missed-release:seed.py").Suppresses(test::MissedRelease("seed.py")));
  EXPECT_FALSE(Parsed("bad-release:seed.py").Suppresses(test::MissedRelease("seed.py")));
}

TEST(Suppressions, ThreadMatchesTheThreadCreationStack) {
  EXPECT_TRUE(Parsed("thread:start_workers").Suppresses(test::MissedRelease("seed.py")));
  EXPECT_TRUE(Parsed("thread:Thread-5").Suppresses(test::MissedRelease("seed.py")));
  EXPECT_FALSE(Parsed("thread:get_value$").Suppresses(test::MissedRelease("seed.py")));
}

TEST(Suppressions, UnusedRulesAreListedWithTheirOrigin) {
  Suppressions s = Parsed("race:run_all\nrace:never_seen\n");
  EXPECT_TRUE(s.Suppresses(test::Race("app.py")));
  ASSERT_EQ(s.Unused().size(), 1u);
  EXPECT_EQ(s.Unused()[0], "race:never_seen (supp.txt:2)");
}

TEST(Suppressions, BadLinesAreErrorsWithFileAndLine) {
  Suppressions s;
  std::string error;
  EXPECT_FALSE(s.Parse("race:a\nrase:b\n", "supp.txt", &error));
  EXPECT_EQ(error, "supp.txt:2: unknown suppression type 'rase'");
  EXPECT_FALSE(s.Parse("just words", "s", &error));
  EXPECT_EQ(error, "s:1: expected type:pattern, got 'just words'");
  EXPECT_FALSE(s.Parse("race:", "s", &error));
  EXPECT_FALSE(s.LoadFile("/nonexistent/supp.txt", &error));
}

}  // namespace
}  // namespace pyrace
