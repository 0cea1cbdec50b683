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
  const Fixture& p = GetParam();
  TempDir tmp;
  const std::string report = tmp.File("report.json");
  std::vector<std::string> args = {"run", "--format", "json", "--output", report, Testdata(p.file)};
  args.insert(args.end() - 1, p.options.begin(), p.options.end());
  args.insert(args.end(), p.args.begin(), p.args.end());
  const ToolResult r = RunPyrace(args);
  const FindingSet expected = Annotations(Testdata(p.file));
  const FindingSet actual = FindingsOf(ReadJson(report));
  EXPECT_EQ(r.exit_code, expected.empty() ? p.clean_exit : 66) << r.err;
  EXPECT_EQ(actual, expected) << "expected:\n" << Describe(expected) << "actual:\n" << Describe(actual)
                              << "stderr:\n" << r.err;
}

INSTANTIATE_TEST_SUITE_P(Runtime, RunProgram, testing::ValuesIn(Fixtures(PYRACE_TESTDATA)), TestName);

}  // namespace
}  // namespace pyrace::e2e
