#include "runtime/options/options.h"

#include <gtest/gtest.h>

namespace pyrace {
namespace {

TEST(Options, DefaultsComeFromTheTable) {
  Options o;
  EXPECT_EQ(o.exitcode, 66);
  EXPECT_EQ(o.format, "text");
  EXPECT_EQ(o.on_deadlock, "exit");
}

TEST(Options, ParsesTsanSyntaxWithDashesOrUnderscores) {
  Options o;
  std::string err;
  ASSERT_TRUE(ParseOptionString("exitcode=3:on-deadlock=continue color=1", &o, &err)) << err;
  EXPECT_EQ(o.exitcode, 3);
  EXPECT_EQ(o.on_deadlock, "continue");
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
  o.detect = "deadlocks";
  std::string text = SerializeOptions(o);
  EXPECT_EQ(text, "exitcode=7 detect=deadlocks");
  Options back;
  std::string err;
  ASSERT_TRUE(ParseOptionString(text, &back, &err)) << err;
  EXPECT_EQ(back.exitcode, 7);
  EXPECT_EQ(back.detect, "deadlocks");
}

}  // namespace
}  // namespace pyrace
