#include <gtest/gtest.h>

#include "tests/unit/render/sample_findings.h"
#include "tool/suppress/ignore_comment.h"

namespace pyrace {
namespace {

TEST(IgnoreComment, BareIgnoreCoversEveryKind) {
  const Finding f = test::MissedRelease("seed.py");
  EXPECT_TRUE(LineIgnores("    lock.acquire()  # pyrace: ignore", f));
  EXPECT_TRUE(LineIgnores("    lock.acquire()  #pyrace:ignore", f));
  EXPECT_FALSE(LineIgnores("    lock.acquire()  # pyrace: ignored on purpose? no", f));
  EXPECT_FALSE(LineIgnores("    lock.acquire()", f));
}

TEST(IgnoreComment, BracketsNameKindsOrRuleCodes) {
  Finding f = test::MissedRelease("seed.py");
  EXPECT_TRUE(LineIgnores("x()  # pyrace: ignore[missed-release]", f));
  EXPECT_TRUE(LineIgnores("x()  # pyrace: ignore[data-race, missed-release]", f));
  EXPECT_FALSE(LineIgnores("x()  # pyrace: ignore[data-race]", f));
  f.rule = "PYR001";
  EXPECT_TRUE(LineIgnores("x()  # noqa  # pyrace: ignore[PYR001]", f));
}

TEST(IgnoreComment, MissingSourceIgnoresNothing) {
  SourceLines sources;
  EXPECT_FALSE(IgnoredByComment(test::MissedRelease("/nonexistent/seed.py"), sources));
}

}  // namespace
}  // namespace pyrace
