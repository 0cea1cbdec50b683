#include "runtime/options/options.h"

#include <gtest/gtest.h>

namespace pyrace {
namespace {

TEST(Options, DefaultsComeFromTheTable) {
  Options o;
  EXPECT_EQ(o.exitcode, 66);
  EXPECT_EQ(o.format, ReportFormat::kText);
  EXPECT_EQ(o.on_deadlock, OnDeadlock::kExit);
  EXPECT_EQ(o.lock_view, LockView::kInstance);
  EXPECT_TRUE(o.detect.Has(Detect::kRaces));
  EXPECT_TRUE(o.detect.Has(Detect::kDeadlocks));
}

TEST(Options, ParsesTsanSyntaxWithDashesOrUnderscores) {
  Options o;
  std::string err;
  ASSERT_TRUE(ParseOptionString("exitcode=3:on-deadlock=continue color=1", &o, &err)) << err;
  EXPECT_EQ(o.exitcode, 3);
  EXPECT_EQ(o.on_deadlock, OnDeadlock::kContinue);
  EXPECT_TRUE(o.color);
}

TEST(Options, RejectsUnknownKeysAndBadValuesWithTheirNames) {
  Options o;
  std::string err;
  EXPECT_FALSE(ParseOptionString("no_such=1", &o, &err));
  EXPECT_NE(err.find("no_such"), std::string::npos);
  EXPECT_FALSE(ParseOptionString("exitcode=lots", &o, &err));
  EXPECT_NE(err.find("exitcode"), std::string::npos);
  EXPECT_FALSE(ParseOptionString("exitcode", &o, &err));
}

TEST(Options, SerializeRoundTripsNonDefaults) {
  Options o;
  o.exitcode = 7;
  o.detect = Detect::kDeadlocks;
  o.lock_view = LockView::kClass;
  std::string text = SerializeOptions(o);
  EXPECT_EQ(text, "exitcode=7 detect=deadlocks lock_view=class");
  Options back;
  std::string err;
  ASSERT_TRUE(ParseOptionString(text, &back, &err)) << err;
  EXPECT_EQ(back.exitcode, 7);
  EXPECT_EQ(back.detect, ChoiceSet<Detect>(Detect::kDeadlocks));
  EXPECT_EQ(back.lock_view, LockView::kClass);
}

TEST(Options, ChoicesAreTheTablesVocabulary) {
  Options o;
  std::string err;
  EXPECT_FALSE(SetOption("format", "xml", &o, &err));
  EXPECT_EQ(err, "bad value 'xml' for option format (expected one of: text json sarif html)");
  EXPECT_FALSE(SetOption("on-deadlock", "Continue", &o, &err));
  EXPECT_EQ(err, "bad value 'Continue' for option on_deadlock (expected one of: exit continue)");
  EXPECT_FALSE(SetOption("lock_view", "", &o, &err));
  EXPECT_EQ(o.format, ReportFormat::kText);
  ASSERT_TRUE(SetOption("format", "sarif", &o, &err)) << err;
  EXPECT_EQ(o.format, ReportFormat::kSarif);
  EXPECT_STREQ(ChoiceName(ReportFormat::kJson), "json");
}

TEST(Options, DetectTakesOneOrMoreChoices) {
  Options o;
  std::string err;
  ASSERT_TRUE(SetOption("detect", "races", &o, &err)) << err;
  EXPECT_TRUE(o.detect.Has(Detect::kRaces));
  EXPECT_FALSE(o.detect.Has(Detect::kDeadlocks));
  ASSERT_TRUE(SetOption("detect", "deadlocks,races", &o, &err)) << err;
  EXPECT_EQ(o.detect, ChoiceSet<Detect>(Detect::kRaces) | Detect::kDeadlocks);
  EXPECT_EQ(SerializeOptions(o), "");  // the default, both
  for (const char* bad : {"", "races,", ",races", "races,locks", "races deadlocks"}) {
    EXPECT_FALSE(SetOption("detect", bad, &o, &err)) << bad;
    EXPECT_EQ(err, "bad value '" + std::string(bad) +
                       "' for option detect (expected a comma-separated list of: races deadlocks)");
  }
}

TEST(Options, TableDescribesChoices) {
  for (const OptionDesc& d : AllOptions()) {
    if (std::string(d.name) == "format") {
      EXPECT_STREQ(d.type, "choice");
      EXPECT_EQ(d.dflt, "text");
      EXPECT_EQ(d.choices, (std::vector<std::string_view>{"text", "json", "sarif", "html"}));
    } else if (std::string(d.name) == "detect") {
      EXPECT_STREQ(d.type, "choices");
      EXPECT_EQ(d.dflt, "races,deadlocks");
    } else if (std::string(d.name) == "exitcode") {
      EXPECT_EQ(d.dflt, "66");
      EXPECT_TRUE(d.choices.empty());
    } else if (std::string(d.name) == "output") {
      EXPECT_EQ(d.dflt, "");
    }
  }
}

}  // namespace
}  // namespace pyrace
