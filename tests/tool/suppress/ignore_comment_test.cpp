// The ignore-comment grammar of docs/suppressions.md, shared by run/replay and lint.
#include <gtest/gtest.h>

#include "tests/tool/sample_findings.h"
#include "tool/suppress/ignore_comment.h"

namespace pyrace {
namespace {

constexpr IgnoreSyntax kRun = IgnoreSyntax::kPyrace;
constexpr IgnoreSyntax kLint = IgnoreSyntax::kPyraceAndNoqa;

// A lint finding as the linter names it: kind id, rule code, rule name.
bool LintIgnores(std::string_view line) { return CommentIgnores(line, {"missed-release", "PYR001", "missed-release"}, kLint); }

TEST(IgnoreComment, BareIgnoreCoversEveryKind) {
  const Finding f = test::MissedRelease("seed.py");
  EXPECT_TRUE(LineIgnores("    lock.acquire()  # pyrace: ignore", f));
  EXPECT_TRUE(LineIgnores("    lock.acquire()  #pyrace:ignore", f));
  EXPECT_TRUE(LineIgnores("    lock.acquire()  # pyrace : ignore", f));
  EXPECT_TRUE(LineIgnores("    lock.acquire()  # pyrace: ignore  released by the caller", f));
  EXPECT_TRUE(LineIgnores("    lock.acquire()  # pyrace: ignore# and more", f));
  EXPECT_TRUE(LineIgnores("    lock.acquire()  # pyrace: ignore\r", f));
  EXPECT_FALSE(LineIgnores("    lock.acquire()", f));
}

TEST(IgnoreComment, LookalikesAreProse) {
  const Finding f = test::MissedRelease("seed.py");
  for (std::string_view line : {
           "lock.acquire()  # pyrace: ignored until the refactor lands",
           "lock.acquire()  # pyrace: ignore-me",
           "lock.acquire()  # pyrace: ignore_all",
           "lock.acquire()  # pyrace: ignores",
           "lock.acquire()  # pyrace: ignore:missed-release",
           "lock.acquire()  # pyrace: Ignore",
           "lock.acquire()  # pyrace ignore",
           "lock.acquire()  # pyraceignore",
           "lock.acquire()  # mypyrace: ignore",
           "lock.acquire()  # we should not pyrace: ignore this",
           "lock.acquire()  # pyrace: do not ignore",
           "lock.acquire()  # pyrace: ignore[missed-release",  // unclosed: fails closed
           "lock.acquire()  # pyrace: ignore[]",
       }) {
    EXPECT_FALSE(LineIgnores(line, f)) << line;
    EXPECT_FALSE(LintIgnores(line)) << line;
  }
}

TEST(IgnoreComment, StringLiteralsAreNotComments) {
  const Finding f = test::MissedRelease("seed.py");
  EXPECT_FALSE(LineIgnores("print('# pyrace: ignore')", f));
  EXPECT_FALSE(LineIgnores("print(\"# pyrace: ignore\")", f));
  EXPECT_FALSE(LineIgnores("print('it\\'s # pyrace: ignore')", f));
  EXPECT_FALSE(LineIgnores("print(r'\\' # pyrace: ignore')", f));
  EXPECT_FALSE(LineIgnores("s = '''a ' # pyrace: ignore'''", f));
  EXPECT_FALSE(LineIgnores("s = \"\"\"starts a docstring # pyrace: ignore", f));
  EXPECT_FALSE(LintIgnores("x = '# noqa'"));
  EXPECT_FALSE(LintIgnores("x = \"# noqa: PYR001\""));
  // After the string closes, a real comment counts.
  EXPECT_TRUE(LineIgnores("print('#', \"#\")  # pyrace: ignore", f));
  EXPECT_TRUE(LineIgnores("s = '''x'''  # pyrace: ignore", f));
  EXPECT_TRUE(LineIgnores("s = 'a\\\\'  # pyrace: ignore", f));
}

TEST(IgnoreComment, BracketsNameKindsOrRuleCodes) {
  Finding f = test::MissedRelease("seed.py");
  EXPECT_TRUE(LineIgnores("x()  # pyrace: ignore[missed-release]", f));
  EXPECT_TRUE(LineIgnores("x()  # pyrace: ignore[data-race, missed-release]", f));
  EXPECT_TRUE(LineIgnores("x()  # pyrace: ignore [ data-race ,missed-release ] why", f));
  EXPECT_TRUE(LineIgnores("x()  # pyrace: ignore[MISSED-RELEASE]", f));
  EXPECT_FALSE(LineIgnores("x()  # pyrace: ignore[data-race]", f));
  EXPECT_FALSE(LineIgnores("x()  # pyrace: ignore[missed]", f));
  EXPECT_FALSE(LineIgnores("x()  # pyrace: ignore[missed-release-x]", f));
  f.rule = "PYR001";
  EXPECT_TRUE(LineIgnores("x()  # noqa  # pyrace: ignore[PYR001]", f));
  EXPECT_TRUE(LineIgnores("x()  # pyrace: ignore[pyr001]", f));
}

TEST(IgnoreComment, DirectiveAfterOtherComment) {
  const Finding f = test::MissedRelease("seed.py");
  EXPECT_TRUE(LineIgnores("x()  # released in close()  # pyrace: ignore[missed-release]", f));
  EXPECT_TRUE(LineIgnores("x()  # type: ignore # pyrace: ignore", f));
}

TEST(IgnoreComment, NoqaOnlyForLint) {
  const Finding f = test::MissedRelease("seed.py");
  EXPECT_FALSE(LineIgnores("x()  # noqa", f));
  EXPECT_TRUE(LintIgnores("x()  # noqa"));
  EXPECT_TRUE(LintIgnores("x()  # NOQA"));
  EXPECT_TRUE(LintIgnores("x()  # noqa  the caller releases it"));
  EXPECT_TRUE(LintIgnores("x()  # noqa: PYR001"));
  EXPECT_TRUE(LintIgnores("x()  # noqa:PYR001"));
  EXPECT_TRUE(LintIgnores("x()  # noqa: E501,PYR001"));
  EXPECT_TRUE(LintIgnores("x()  # noqa: E501 PYR001 released elsewhere"));
  EXPECT_TRUE(LintIgnores("x()  # noqa: pyr001"));
  EXPECT_FALSE(LintIgnores("x()  # noqa: E501"));
  EXPECT_FALSE(LintIgnores("x()  # noqa: E501 and then PYR001"));  // codes end at the first word
  EXPECT_FALSE(LintIgnores("x()  # noqa:"));
  EXPECT_FALSE(LintIgnores("x()  # noqa: because"));
  EXPECT_FALSE(LintIgnores("x()  # noqa-me"));
  EXPECT_FALSE(LintIgnores("x()  # noqa1"));
  EXPECT_FALSE(LintIgnores("x()  # noqa: PYR0011"));
  EXPECT_FALSE(LintIgnores("x()  # a comment"));
  EXPECT_FALSE(LintIgnores("x()  # not noqa"));
}

TEST(IgnoreComment, LintNamesCodeKindAndRuleName) {
  EXPECT_TRUE(CommentIgnores("x  # pyrace: ignore[PYR007]", {"deadlock", "PYR007", "blocking-under-lock"}, kLint));
  EXPECT_TRUE(CommentIgnores("x  # pyrace: ignore[deadlock]", {"deadlock", "PYR007", "blocking-under-lock"}, kLint));
  EXPECT_TRUE(
      CommentIgnores("x  # pyrace: ignore[blocking-under-lock]", {"deadlock", "PYR007", "blocking-under-lock"}, kLint));
  EXPECT_FALSE(CommentIgnores("x  # pyrace: ignore[PYR001]", {"deadlock", "PYR007", "blocking-under-lock"}, kLint));
  EXPECT_FALSE(CommentIgnores("x  # pyrace: ignore[]", {"deadlock", "", "blocking-under-lock"}, kRun));
}

TEST(IgnoreComment, MissingSourceIgnoresNothing) {
  SourceLines sources;
  EXPECT_FALSE(IgnoredByComment(test::MissedRelease("/nonexistent/seed.py"), sources));
}

}  // namespace
}  // namespace pyrace
