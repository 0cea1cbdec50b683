#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "tool/cli/option_flags.h"

namespace pyrace {
namespace {

// Parses a command line (without the program name) the way run/replay do.
bool Parse(std::vector<std::string> argv, Options* opts, std::string* error) {
  CLI::App app("test");
  OptionArgs args;
  AddOptionFlags(app, &args);
  std::reverse(argv.begin(), argv.end());
  app.parse(argv);
  KeepGiven(app, &args);
  return ResolveOptions(args, opts, error);
}

class OptionFlags : public testing::Test {
 protected:
  void SetUp() override { unsetenv("PYRACE_OPTIONS"); }
  void TearDown() override { unsetenv("PYRACE_OPTIONS"); }
};

TEST_F(OptionFlags, EveryUserOptionHasADashedFlag) {
  bool takes = false;
  EXPECT_TRUE(IsOptionFlag("--on-deadlock", &takes));
  EXPECT_TRUE(takes);
  EXPECT_TRUE(IsOptionFlag("--on-deadlock=continue", &takes));
  EXPECT_FALSE(takes);
  EXPECT_TRUE(IsOptionFlag("--color", &takes));
  EXPECT_FALSE(takes);
  EXPECT_FALSE(IsOptionFlag("--trace-fd", &takes));
  EXPECT_FALSE(IsOptionFlag("--on_deadlock", &takes));
  EXPECT_FALSE(IsOptionFlag("-o", &takes));
}

TEST_F(OptionFlags, CommandLineOverridesEnvironmentOverridesDefaults) {
  setenv("PYRACE_OPTIONS", "exitcode=9:on_deadlock=continue max-findings=5", 1);
  Options o;
  std::string error;
  ASSERT_TRUE(Parse({"--exitcode", "7", "--color"}, &o, &error)) << error;
  EXPECT_EQ(o.exitcode, 7);
  EXPECT_EQ(o.on_deadlock, OnDeadlock::kContinue);
  EXPECT_EQ(o.max_findings, 5);
  EXPECT_TRUE(o.color);
  EXPECT_EQ(o.format, ReportFormat::kText);
}

TEST_F(OptionFlags, BadValuesAreErrors) {
  Options o;
  std::string error;
  EXPECT_FALSE(Parse({"--format", "xml"}, &o, &error));
  EXPECT_EQ(error, "bad value 'xml' for option format (expected one of: text json sarif html)");
  Options o2;
  EXPECT_FALSE(Parse({"--detect", "races,locks"}, &o2, &error));
  EXPECT_EQ(error, "bad value 'races,locks' for option detect (expected a comma-separated list of: races deadlocks)");
  Options o3;
  EXPECT_FALSE(Parse({"--exitcode", "many"}, &o3, &error));
  setenv("PYRACE_OPTIONS", "nope=1", 1);
  Options o4;
  EXPECT_FALSE(Parse({}, &o4, &error));
  EXPECT_EQ(error, "PYRACE_OPTIONS: unknown option 'nope'");
}

TEST_F(OptionFlags, AnalysisOptionsFollowDetectAndLockView) {
  Options o;
  o.detect = Detect::kDeadlocks;
  o.lock_view = LockView::kClass;
  o.max_findings = 3;
  const AnalysisOptions a = ToAnalysisOptions(o);
  EXPECT_FALSE(a.races);
  EXPECT_TRUE(a.deadlocks);
  EXPECT_TRUE(a.lock_class_view);
  EXPECT_EQ(a.max_findings, 3);
}

}  // namespace
}  // namespace pyrace
