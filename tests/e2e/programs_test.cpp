// Every testdata/runtime program under `pyrace run --format json`, run as its
// `# fixture:` comments say: the exact set of (kind, file, line) must equal its
// `# expect:` annotations, and the exit code must be 66 with findings, the program's
// own code without.
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "tests/e2e/harness.h"

namespace pyrace::e2e {
namespace {

std::string TestName(const testing::TestParamInfo<Fixture>& info) { return FixtureName(info.param); }

class RunProgram : public testing::TestWithParam<Fixture> {};

TEST_P(RunProgram, FindingsEqualAnnotationsAndExitCodeFollows) {
  const FixtureResult r = RunFixture(PYRACE_TESTDATA, GetParam());
  EXPECT_EQ(r.tool.exit_code, r.expected.empty() ? GetParam().clean_exit : 66) << r.tool.err;
  EXPECT_EQ(r.actual, r.expected) << "expected:\n" << Describe(r.expected) << "actual:\n" << Describe(r.actual)
                                  << "stderr:\n" << r.tool.err;
}

INSTANTIATE_TEST_SUITE_P(Runtime, RunProgram, testing::ValuesIn(Fixtures(PYRACE_TESTDATA)), TestName);

// The directory listing is the suite: one run per `args` line, the exit code and
// options a program names, helpers left out, and a directive nobody knows stops it.
TEST(Fixtures, EachProgramRunsAsItsCommentsSay) {
  TempDir dir;
  WriteText(dir.File("b_kinds.py"), "# fixture: args Lock\n# fixture: args RLock x\nimport sys\n");
  WriteText(dir.File("a_exit.py"), "# fixture: exit 3\n# fixture: options --detect deadlocks\nraise SystemExit(3)\n");
  WriteText(dir.File("c_helper.py"), "# fixture: helper (another test runs it)\n");
  WriteText(dir.File("d_plain.py"), "print('x')  # a comment that says fixture: args no\n");
  WriteText(dir.File("notes.txt"), "# fixture: args ignored\n");
  const std::vector<Fixture> runs = Fixtures(dir.path());
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[0].file, "a_exit.py");
  EXPECT_EQ(runs[0].clean_exit, 3);
  EXPECT_EQ(runs[0].options, (std::vector<std::string>{"--detect", "deadlocks"}));
  EXPECT_EQ(FixtureName(runs[1]), "b_kinds_Lock");
  EXPECT_EQ(runs[2].args, (std::vector<std::string>{"RLock", "x"}));
  EXPECT_EQ(runs[3].file, "d_plain.py");
  EXPECT_TRUE(runs[3].args.empty());
  WriteText(dir.File("e_bad.py"), "# fixture: exit three\n");
  EXPECT_THROW(Fixtures(dir.path()), std::runtime_error);
}

// The real directory: the programs the README describes are all there.
TEST(Fixtures, TheRuntimeDirectoryHasItsPrograms) {
  const std::vector<Fixture> runs = Fixtures(PYRACE_TESTDATA);
  auto count = [&](const std::string& file) {
    return std::count_if(runs.begin(), runs.end(), [&](const Fixture& f) { return f.file == file; });
  };
  EXPECT_EQ(count("lockdep_abba.py"), 3);  // Lock, RLock, Condition
  EXPECT_EQ(count("echo_argv.py"), 0);     // a helper
  EXPECT_EQ(count("seed_early_return_deadlock.py"), 1);
  EXPECT_GE(runs.size(), 51u);
}

}  // namespace
}  // namespace pyrace::e2e
