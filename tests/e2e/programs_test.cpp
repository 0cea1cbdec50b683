// Every testdata/runtime program under `pyrace run --format json`: the exact set of
// (kind, file, line) must equal its `# expect:` annotations, and the exit code must be
// 66 with findings, the program's own code without.
#include <gtest/gtest.h>

#include <ostream>

#include "tests/e2e/harness.h"

namespace pyrace::e2e {
namespace {

struct Program {
  std::string file;
  std::vector<std::string> args;
  int clean_exit = 0;  // the program's own exit code, used when it has no findings
};

// Readable names in ctest output instead of the struct's bytes.
void PrintTo(const Program& p, std::ostream* os) {
  *os << p.file;
  for (const std::string& a : p.args) *os << ' ' << a;
}

std::string TestName(const testing::TestParamInfo<Program>& info) {
  std::string name = info.param.file.substr(0, info.param.file.size() - 3);
  for (const std::string& a : info.param.args) name += "_" + a;
  return name;
}

class RunProgram : public testing::TestWithParam<Program> {};

TEST_P(RunProgram, FindingsEqualAnnotationsAndExitCodeFollows) {
  const Program& p = GetParam();
  TempDir tmp;
  const std::string report = tmp.File("report.json");
  std::vector<std::string> args = {"run", "--format", "json", "--output", report, Testdata(p.file)};
  args.insert(args.end(), p.args.begin(), p.args.end());
  const ToolResult r = RunPyrace(args);
  const FindingSet expected = Annotations(Testdata(p.file));
  const FindingSet actual = FindingsOf(ReadJson(report));
  EXPECT_EQ(r.exit_code, expected.empty() ? p.clean_exit : 66) << r.err;
  EXPECT_EQ(actual, expected) << "expected:\n" << Describe(expected) << "actual:\n" << Describe(actual)
                              << "stderr:\n" << r.err;
}

std::vector<Program> Seeds() {
  return {{"seed_lock_outside_loop.py", {}, 0},
          {"seed_lock_inside_loop.py", {}, 0},
          {"seed_early_return_deadlock.py", {}, 0},
          {"seed_early_return_fixed.py", {}, 0}};
}

std::vector<Program> LockdepPatterns() {
  std::vector<Program> out;
  for (const char* f : {"lockdep_abba.py", "lockdep_abbcca.py", "lockdep_abcabc.py", "lockdep_abbccdda.py",
                        "lockdep_abcdbdda.py", "lockdep_abcdbcda.py"}) {
    // Condition: `with cond:` acquires inside threading.py, yet the finding must point
    // at the user's `with` line.
    for (const char* kind : {"Lock", "RLock", "Condition"}) out.push_back({f, {kind}, 0});
  }
  out.push_back({"lockdep_aa_lock.py", {}, 0});
  out.push_back({"lockdep_abba_timed.py", {}, 0});
  out.push_back({"lockdep_abba_notify.py", {}, 0});
  return out;
}

std::vector<Program> SafeTwins() {
  std::vector<Program> out;
  for (const char* kind : {"RLock", "Condition"}) out.push_back({"safe_rlock_reentry.py", {kind}, 0});
  for (const char* kind : {"Lock", "RLock", "Condition"}) {
    out.push_back({"safe_gate_lock.py", {kind}, 0});
    out.push_back({"safe_single_thread.py", {kind}, 0});
  }
  for (const char* kind : {"Lock", "RLock"}) out.push_back({"safe_trylock_backoff.py", {kind}, 0});
  return out;
}

std::vector<Program> Hangs() {
  return {{"deadlock_abba_hang.py", {}, 0},
          {"deadlock_join_while_holding.py", {}, 0},
          {"deadlock_signal_handler.py", {}, 0}};
}

std::vector<Program> Releases() {
  return {{"bad_release_unlocked.py", {}, 0},
          {"bad_release_rlock_not_owner.py", {}, 0},
          {"missed_release_raise.py", {}, 0},
          {"clean_lock_handoff.py", {}, 0},
          {"clean_enter_exit.py", {}, 0},
          {"ignored_missed_release.py", {}, 0},
          {"code_address_reused.py", {}, 0}};
}

std::vector<Program> Exits() {
  return {{"exit_sys_exit.py", {}, 3},
          {"exit_raise.py", {}, 1},
          {"exit_os_exit.py", {}, 5},
          {"exit_fork.py", {}, 0},
          {"exit_syntax_error.py", {}, 1}};
}

INSTANTIATE_TEST_SUITE_P(Seeds, RunProgram, testing::ValuesIn(Seeds()), TestName);
INSTANTIATE_TEST_SUITE_P(Lockdep, RunProgram, testing::ValuesIn(LockdepPatterns()), TestName);
INSTANTIATE_TEST_SUITE_P(SafeTwins, RunProgram, testing::ValuesIn(SafeTwins()), TestName);
INSTANTIATE_TEST_SUITE_P(Hangs, RunProgram, testing::ValuesIn(Hangs()), TestName);
INSTANTIATE_TEST_SUITE_P(Releases, RunProgram, testing::ValuesIn(Releases()), TestName);
INSTANTIATE_TEST_SUITE_P(Exits, RunProgram, testing::ValuesIn(Exits()), TestName);

}  // namespace
}  // namespace pyrace::e2e
