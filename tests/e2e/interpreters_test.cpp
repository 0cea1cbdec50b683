// `--python PATH`: the same findings under every Python the runtime was built for; a
// clear usage error for an interpreter without a runtime.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/e2e/harness.h"

namespace pyrace::e2e {
namespace {

class Interpreter : public testing::TestWithParam<int> {};

TEST_P(Interpreter, SeedDeadlockIsFoundTheSameWay) {
  const std::string python = FindPython(GetParam());
  if (python.empty()) GTEST_SKIP() << "no python3." << GetParam() << " on this machine";
  TempDir tmp;
  const std::string report = tmp.File("report.json");
  const std::string prog = Testdata("seed_early_return_deadlock.py");
  const ToolResult r = RunPyrace({"run", "--python", python, "--format", "json", "--output", report, prog});
  EXPECT_EQ(r.exit_code, 66) << r.err;
  EXPECT_EQ(FindingsOf(ReadJson(report)), Annotations(prog)) << r.err;
}

TEST_P(Interpreter, LockOrderInversionIsPredictedTheSameWay) {
  const std::string python = FindPython(GetParam());
  if (python.empty()) GTEST_SKIP() << "no python3." << GetParam() << " on this machine";
  TempDir tmp;
  const std::string report = tmp.File("report.json");
  const std::string prog = Testdata("lockdep_abbcca.py");
  const ToolResult r =
      RunPyrace({"run", "--python", python, "--format", "json", "--output", report, prog, "RLock"});
  EXPECT_EQ(r.exit_code, 66) << r.err;
  EXPECT_EQ(FindingsOf(ReadJson(report)), Annotations(prog)) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Python3, Interpreter, testing::Values(10, 11, 12, 13, 14, 15),
                         [](const testing::TestParamInfo<int>& i) { return "py3" + std::to_string(i.param); });

TEST(Interpreter, NoRuntimeForThatPythonIsAUsageError) {
  const std::string python = FindPython(9);
  if (python.empty()) GTEST_SKIP() << "no python3.9 on this machine";
  const ToolResult r = RunPyrace({"run", "--python", python, Testdata("exit_sys_exit.py")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("pyrace: no runtime for Python 3.9"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("has builds for: "), std::string::npos) << r.err;
}

// The import-time check of the per-version frame layer (runtime/python/frame_walk.cpp):
// 3.14's runtime, renamed so that 3.15 loads it, must refuse to run, naming the
// mismatch, rather than walk 3.15's frames with 3.14's layout.
TEST(Interpreter, RuntimeBuiltForAnotherVersionIsRefusedAtImport) {
  const std::string python = FindPython(15);
  const std::filesystem::path built =
      std::filesystem::path(PYRACE_BIN).parent_path() / "../lib/pyrace/_pyrace.cpython-314-x86_64-linux-gnu.so";
  if (python.empty() || !std::filesystem::exists(built)) GTEST_SKIP() << "needs python3.15 and 3.14's runtime";
  TempDir tmp;
  std::filesystem::copy_file(built, tmp.File("_pyrace.cpython-315-x86_64-linux-gnu.so"));
  const std::string prog = tmp.File("prog.py");
  WriteText(prog, "print('the program ran')\n");
  const ToolResult r = RunPyrace({"run", "--python", python, prog}, {"PYRACE_RUNTIME_DIR=" + tmp.path()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.out, "") << r.err;
  EXPECT_NE(r.err.find("_pyrace was built against the headers of Python 3.14"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cannot read this interpreter's frames (the interpreter is version 3.15)"),
            std::string::npos)
      << r.err;
}

// No free-threaded interpreter is available to test with, so the default one is made to
// look like one to the tool's probe (sys.abiflags and sysconfig's Py_GIL_DISABLED, as a
// 3.13t/3.14t has them): the run must stop before the program starts, saying why.
TEST(Interpreter, FreeThreadedPythonIsAClearError) {
  TempDir tmp;
  WriteText(tmp.File("sitecustomize.py"),
            "import sys, sysconfig\n"
            "sysconfig.get_config_vars()['Py_GIL_DISABLED'] = 1\n"
            "sys.abiflags = 't'\n");
  const std::string prog = tmp.File("prog.py");
  WriteText(prog, "print('the program ran')\n");
  const ToolResult r = RunPyrace({"run", prog}, {"PYTHONPATH=" + tmp.path()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.out, "") << r.err;
  EXPECT_NE(r.err.find(") is a free-threaded build (Py_GIL_DISABLED): the pyrace runtime needs the GIL"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("pyrace: free-threaded interpreters are not supported yet"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace pyrace::e2e
