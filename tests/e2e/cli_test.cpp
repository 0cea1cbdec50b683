// The command line of `pyrace run`: usage errors, exit codes, argument pass-through,
// `-m module`, options from PYRACE_OPTIONS and the command line.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/e2e/harness.h"

namespace pyrace::e2e {
namespace {

TEST(Cli, MissingScriptIsAUsageError) {
  TempDir tmp;
  const ToolResult r = RunPyrace({"run", tmp.File("no_such.py")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("pyrace: cannot open script '" + tmp.File("no_such.py") + "': No such file or directory"),
            std::string::npos)
      << r.err;
}

// `pyrace run DIR` is `python DIR`: DIR/__main__.py runs with DIR first on sys.path,
// and the modules beside it are the user's code (instrumented for races).
TEST(Cli, RunsADirectoryWithMainPy) {
  TempDir tmp;
  const std::string report = tmp.File("report.json");
  const ToolResult r = RunPyrace({"run", "--format", "json", "--output", report, Testdata("app_dir")});
  EXPECT_EQ(r.exit_code, 66) << r.err;
  FindingSet expected = Annotations(Testdata("app_dir/__main__.py"));
  expected.merge(Annotations(Testdata("app_dir/worker.py")));
  ASSERT_EQ(expected.size(), 2u);
  EXPECT_EQ(FindingsOf(ReadJson(report)), expected) << r.err;
}

// --on-deadlock=continue: the hang is reported while the program still hangs, and the
// final report counts it without printing it again.
TEST(Cli, ContinueAfterDeadlockReportsTheHangWhileItLasts) {
  std::string err;
  const int rc = SignalPyraceWhenReady({"run", "--on-deadlock=continue", Testdata("deadlock_abba_hang.py")},
                                       "pyrace: the program keeps running", SIGTERM, 2, &err);
  EXPECT_EQ(rc, 66) << err;
  size_t first = err.find("WARNING: pyrace: deadlock");
  ASSERT_NE(first, std::string::npos) << err;
  EXPECT_EQ(err.find("WARNING: pyrace: deadlock", first + 1), std::string::npos) << err;
  EXPECT_NE(err.find("pyrace: reported 1 warning"), std::string::npos) << err;
}

TEST(Cli, NoProgramIsAUsageError) {
  const ToolResult r = RunPyrace({"run"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no program to run"), std::string::npos) << r.err;
}

TEST(Cli, UnknownCommandAndOptionAreUsageErrors) {
  EXPECT_EQ(RunPyrace({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(RunPyrace({"run", "--no-such-option", Testdata("exit_sys_exit.py")}).exit_code, 2);
  const ToolResult r = RunPyrace({"run", "--format", "xml", Testdata("exit_sys_exit.py")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad value 'xml' for option format"), std::string::npos) << r.err;
}

TEST(Cli, HelpListsTheOptionsTable) {
  const ToolResult r = RunPyrace({"run", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--exitcode", "--format", "--on-deadlock", "--suppressions", "--python", "--detect"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag << "\n" << r.out;
  }
  EXPECT_EQ(r.out.find("--trace-fd"), std::string::npos) << "internal option shown";
  // Multi-choice options list their choices from the table.
  EXPECT_NE(r.out.find("One of: text, json, sarif, html."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("One of: instance, class."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("One or more of (comma-separated): races, deadlocks."), std::string::npos) << r.out;
  const ToolResult bad = RunPyrace({"run", "--on-deadlock", "wait", Testdata("echo_argv.py")});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("bad value 'wait' for option on_deadlock (expected one of: exit continue)"), std::string::npos)
      << bad.err;
  EXPECT_EQ(RunPyrace({"replay", "--help"}).exit_code, 0);
  EXPECT_EQ(RunPyrace({"record", "--help"}).exit_code, 0);
}

TEST(Cli, CflagsNamesTheBuiltPassPlugin) {
  const ToolResult r = RunPyrace({"cflags"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string flag = "-fpass-plugin=";
  const size_t at = r.out.find(flag);
  ASSERT_NE(at, std::string::npos) << r.out;
  std::string plugin = r.out.substr(at + flag.size());
  plugin = plugin.substr(0, plugin.find_first_of(" \n"));
  EXPECT_EQ(access(plugin.c_str(), R_OK), 0) << plugin;
  EXPECT_EQ(RunPyrace({"cflags", "extra"}).exit_code, 2);
}

TEST(Cli, VersionPrintsTheVersion) {
  const ToolResult r = RunPyrace({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("pyrace ", 0), 0u) << r.out;
}

TEST(Cli, EverythingAfterTheScriptGoesToTheProgram) {
  const ToolResult r = RunPyrace({"run", Testdata("echo_argv.py"), "--format", "json", "-m", "x", "--", "last"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "--format\njson\n-m\nx\n--\nlast\n");
}

TEST(Cli, ModuleRunsLikePythonDashM) {
  TempDir tmp;
  const std::string report = tmp.File("report.json");
  const ToolResult r =
      RunPyrace({"run", "--format=json", "--output", report, "-m", "lockdep_abba", "RLock"}, {}, PYRACE_TESTDATA);
  EXPECT_EQ(r.exit_code, 66) << r.err;
  EXPECT_EQ(FindingsOf(ReadJson(report)), Annotations(Testdata("lockdep_abba.py")));
}

TEST(Cli, ProgramExitCodePassesThroughWhenClean) {
  EXPECT_EQ(RunPyrace({"run", Testdata("exit_sys_exit.py")}).exit_code, 3);
  EXPECT_EQ(RunPyrace({"run", Testdata("seed_lock_inside_loop.py")}).exit_code, 0);
}

TEST(Cli, ExitcodeOptionFromCommandLineAndEnvironment) {
  const std::string prog = Testdata("lockdep_abba.py");
  EXPECT_EQ(RunPyrace({"run", "--exitcode", "7", prog}).exit_code, 7);
  EXPECT_EQ(RunPyrace({"run", prog}, {"PYRACE_OPTIONS=exitcode=9"}).exit_code, 9);
  EXPECT_EQ(RunPyrace({"run", "--exitcode=8", prog}, {"PYRACE_OPTIONS=exitcode=9"}).exit_code, 8);
  EXPECT_EQ(RunPyrace({"run", prog}, {"PYRACE_OPTIONS=bogus=1"}).exit_code, 2);
}

TEST(Cli, SelfKilledProgramExits128PlusSignal) {
  const ToolResult r = RunPyrace({"run", Testdata("exit_self_sigkill.py")});
  EXPECT_EQ(r.exit_code, 128 + 9) << r.err;
  EXPECT_NE(r.err.find("pyrace: the program was killed by SIGKILL; analysed "), std::string::npos) << r.err;
}

TEST(Cli, SignalsToPyraceGoToTheProgram) {
  // The program dies of the forwarded SIGTERM; pyrace reports that as 128+15.
  EXPECT_EQ(SignalPyraceWhenReady({"run", Testdata("wait_for_signal.py")}, "ready", SIGTERM), 128 + 15);
  // SIGINT raises KeyboardInterrupt in the program: its traceback, exit code 1... unless
  // it dies of the signal; either way it is the program's outcome, not pyrace's.
  const int rc = SignalPyraceWhenReady({"run", Testdata("wait_for_signal.py")}, "ready", SIGINT);
  EXPECT_TRUE(rc == 1 || rc == 128 + 2) << rc;
}

TEST(Cli, ProgramStdoutStaysClean) {
  const ToolResult r = RunPyrace({"run", Testdata("lockdep_abba.py")});
  EXPECT_EQ(r.exit_code, 66);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("WARNING: pyrace: lock-order-inversion"), std::string::npos) << r.err;
}

TEST(Cli, MissingInterpreterIsAUsageError) {
  const ToolResult r = RunPyrace({"run", "--python", "/nonexistent/python3", Testdata("exit_sys_exit.py")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/python3"), std::string::npos) << r.err;
}

TEST(Cli, InterpreterThatIsNotPythonIsAUsageError) {
  const ToolResult r = RunPyrace({"run", "--python", "/bin/true", Testdata("exit_sys_exit.py")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("pyrace: no trace came from '/bin/true' (it exited with code 0): the runtime did not start"),
            std::string::npos)
      << r.err;
}

TEST(Cli, RecordNeedsAWritableTraceFile) {
  EXPECT_EQ(RunPyrace({"record", Testdata("exit_sys_exit.py")}).exit_code, 2);
  const ToolResult r = RunPyrace({"record", "-o", "/nonexistent/dir/t.pyrt", Testdata("exit_sys_exit.py")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot write the trace to '/nonexistent/dir/t.pyrt'"), std::string::npos) << r.err;
}

TEST(Cli, RecordSaysWhenTheTraceCopyIsLost) {
  const ToolResult r = RunPyrace({"record", "-o", "/dev/full", Testdata("lockdep_abba.py")});
  EXPECT_EQ(r.exit_code, 66) << r.err;
  EXPECT_NE(r.err.find("could not write the trace copy: No space left on device"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("WARNING: pyrace: lock-order-inversion"), std::string::npos) << r.err;
}

TEST(Cli, MissingModuleIsTheProgramsOwnError) {
  const ToolResult r = RunPyrace({"run", "-m", "no_such_module_for_pyrace"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("No module named no_such_module_for_pyrace"), std::string::npos) << r.err;
}

TEST(Cli, MissingRuntimeDirIsAUsageError) {
  const ToolResult r = RunPyrace({"run", Testdata("exit_sys_exit.py")}, {"PYRACE_RUNTIME_DIR=/nonexistent/rt"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/rt"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace pyrace::e2e
