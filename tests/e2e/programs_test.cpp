// Every testdata/runtime program under `pyrace run --format json`, run as its
// `# fixture:` comments say: the exact set of (kind, file, line) must equal its
// `# expect:` annotations, and the exit code must be 66 with findings, the program's
// own code without.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace pyrace::e2e
