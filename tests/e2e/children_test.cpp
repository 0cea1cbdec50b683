// Child processes under `pyrace run` (docs/children.md): each followed child is analysed
// on its own and its findings name it; children keep their output and exit codes; one
// without a runtime is named as not analysed; record and replay keep every stream.
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/e2e/harness.h"

namespace pyrace::e2e {
namespace {

std::string Child(const std::string& name) { return std::string(PYRACE_CHILDREN_TESTDATA) + "/" + name; }

struct ChildRun {
  TempDir dir;
  ToolResult tool;
  nlohmann::json report;
};

// pyrace run --format json over a program of testdata/children, in that directory (the
// project whose modules are instrumented, as when a user runs pyrace in their project).
void RunJson(const std::vector<std::string>& args, ChildRun* run, const std::string& verb = "run") {
  const std::string out = run->dir.File("report.json");
  std::vector<std::string> argv = {verb, "--format", "json", "--output", out};
  if (verb == "record") {
    argv.insert(argv.begin() + 1, {"-o", run->dir.File("run.pyrt")});
  }
  argv.insert(argv.end(), args.begin(), args.end());
  run->tool = RunPyrace(argv, {}, PYRACE_CHILDREN_TESTDATA);
  run->report = ReadJson(out);
}

// The findings whose process ran `script` (its command line names it).
FindingSet FindingsIn(const nlohmann::json& report, const std::string& script) {
  nlohmann::json only = {{"findings", nlohmann::json::array()}};
  for (const auto& f : report.at("findings")) {
    if (f.contains("process") && f["process"]["command"].get<std::string>().find(script) != std::string::npos) {
      only["findings"].push_back(f);
    }
  }
  return FindingsOf(only);
}

const nlohmann::json& OnlyFinding(const nlohmann::json& report) {
  static const nlohmann::json none;
  if (report.at("findings").size() != 1) return none;
  return report["findings"][0];
}

// stdout and exit code of `python3 script args` without pyrace, in testdata/children.
std::pair<std::string, int> RunPlain(const std::string& script) {
  const std::string cmd = "cd '" + std::string(PYRACE_CHILDREN_TESTDATA) + "' && python3 '" + Child(script) + "'";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while (p != nullptr && (n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = p != nullptr ? pclose(p) : -1;
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

TEST(Children, SubprocessChildRaceIsReportedInTheChild) {
  ChildRun run;
  RunJson({Child("run_child.py")}, &run);
  EXPECT_EQ(run.tool.exit_code, 66) << run.tool.err;
  EXPECT_EQ(FindingsOf(run.report), Annotations(Child("child_race.py"))) << run.tool.err;
  const nlohmann::json& f = OnlyFinding(run.report);
  ASSERT_TRUE(f.contains("process")) << run.report.dump(2);
  EXPECT_NE(f["process"]["command"].get<std::string>().find("child_race.py"), std::string::npos);
  EXPECT_EQ(f["process"]["ppid"], run.report["pid"]);  // started by the top process
  EXPECT_NE(f["process"]["pid"], run.report["pid"]);
  EXPECT_NE(run.tool.out.find("child exited 0"), std::string::npos) << run.tool.out;
}

// Each child takes one order of the same two lock classes: the merge of the run's
// processes predicts the inversion; the same order twice is silent.
TEST(Children, InversionWhoseOrdersAreTakenInTwoChildrenIsPredicted) {
  ChildRun run;
  RunJson({Child("run_inversion_children.py")}, &run);
  EXPECT_EQ(run.tool.exit_code, 66) << run.tool.err;
  EXPECT_EQ(FindingsOf(run.report), Annotations(Child("lock_order_run.py"))) << run.tool.err;
  const nlohmann::json& f = OnlyFinding(run.report);
  ASSERT_TRUE(f.contains("message")) << run.report.dump(2);
  EXPECT_NE(f["message"].get<std::string>().find("across processes"), std::string::npos) << f.dump(2);
  // The two children that took the orders, neither of them the top process.
  ASSERT_TRUE(f.contains("pids")) << f.dump(2);
  ASSERT_EQ(f["pids"].size(), 2u) << f.dump(2);
  EXPECT_NE(f["pids"][0], f["pids"][1]);
  EXPECT_NE(f["pids"][0], run.report["pid"]);
  EXPECT_NE(f["pids"][1], run.report["pid"]);

  ChildRun clean;
  RunJson({Child("run_same_order_children.py")}, &clean);
  EXPECT_EQ(clean.tool.exit_code, 0) << clean.tool.err;
  EXPECT_TRUE(clean.report.at("findings").empty()) << clean.report.dump(2);
}

// The text header of an inversion across processes names the two processes that took
// its orders (each named by the message too), not the run's top process.
TEST(Children, TextHeaderOfAnInversionAcrossProcessesNamesBothProcesses) {
  const ToolResult r = RunPyrace({"run", Child("run_inversion_children.py")}, {}, PYRACE_CHILDREN_TESTDATA);
  EXPECT_EQ(r.exit_code, 66) << r.err;
  const size_t at = r.err.find("==WARNING: pyrace: lock-order-inversion (pids=");
  ASSERT_NE(at, std::string::npos) << r.err;
  const size_t line = r.err.rfind('\n', at) + 1;  // 0 when the header is the first line
  unsigned long header_pid = 0, first = 0, second = 0;
  int end = 0;
  ASSERT_EQ(std::sscanf(r.err.c_str() + line, "==%lu==WARNING: pyrace: lock-order-inversion (pids=%lu,%lu)%n",
                        &header_pid, &first, &second, &end),
            3)
      << r.err;
  ASSERT_EQ(r.err.compare(line + static_cast<size_t>(end), 3, "\n  "), 0) << r.err;
  const size_t message_at = line + static_cast<size_t>(end) + 3;
  const std::string message = r.err.substr(message_at, r.err.find('\n', message_at) - message_at);
  EXPECT_EQ(header_pid, first);
  EXPECT_NE(first, second);
  EXPECT_NE(message.find("across processes"), std::string::npos) << message;
  EXPECT_NE(message.find("in process " + std::to_string(first)), std::string::npos) << message;
  EXPECT_NE(message.find("in process " + std::to_string(second)), std::string::npos) << message;
}

TEST(Children, TextReportNamesTheProcess) {
  const ToolResult r = RunPyrace({"run", Child("run_child.py")}, {}, PYRACE_CHILDREN_TESTDATA);
  EXPECT_EQ(r.exit_code, 66) << r.err;
  EXPECT_NE(r.err.find("WARNING: pyrace: data-race"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("child_race.py 0), child of "), std::string::npos) << r.err;
}

TEST(Children, SarifResultsNameTheProcess) {
  TempDir dir;
  const std::string out = dir.File("r.sarif");
  const ToolResult r =
      RunPyrace({"run", "--format", "sarif", "--output", out, Child("run_child.py")}, {}, PYRACE_CHILDREN_TESTDATA);
  EXPECT_EQ(r.exit_code, 66) << r.err;
  const nlohmann::json sarif = ReadJson(out);
  const auto& results = sarif["runs"][0]["results"];
  ASSERT_EQ(results.size(), 1u) << sarif.dump(2);
  EXPECT_NE(results[0]["properties"]["process"]["command"].get<std::string>().find("child_race.py"),
            std::string::npos);
}

TEST(Children, NotFollowedWithFollowChildrenNo) {
  ChildRun run;
  RunJson({"--follow-children=no", Child("run_child.py")}, &run);
  EXPECT_EQ(run.tool.exit_code, 0) << run.tool.err;  // the parent's own code
  EXPECT_TRUE(run.report["findings"].empty()) << run.report.dump(2);
}

TEST(Children, CleanRunKeepsOutputEnvironmentAndTheParentsExitCode) {
  const ToolResult r = RunPyrace({"run", Child("run_clean_child.py")}, {}, PYRACE_CHILDREN_TESTDATA);
  const auto [plain_out, plain_code] = RunPlain("run_clean_child.py");
  EXPECT_EQ(plain_code, 3);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  // The same environment (no PYRACE_* variables, the same PYTHONPATH) in parent and
  // child, no sitecustomize of pyrace's, and the child's exit code.
  EXPECT_EQ(r.out, plain_out);
  EXPECT_NE(r.out.find("child exited 4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("spawn arguments unchanged True"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");
}

TEST(Children, SpawnPoolWorkerRace) {
  ChildRun run;
  RunJson({Child("spawn_pool.py")}, &run);
  EXPECT_EQ(run.tool.exit_code, 66) << run.tool.err;
  EXPECT_EQ(FindingsOf(run.report), Annotations(Child("pool_worker.py"))) << run.tool.err;
  EXPECT_EQ(FindingsIn(run.report, "multiprocessing"), Annotations(Child("pool_worker.py")));
  EXPECT_NE(run.tool.out.find("[1, 2]"), std::string::npos) << run.tool.out;
}

TEST(Children, ProcessPoolExecutorWorkerRace) {
  ChildRun run;
  RunJson({Child("process_pool.py")}, &run);
  EXPECT_EQ(run.tool.exit_code, 66) << run.tool.err;
  EXPECT_EQ(FindingsOf(run.report), Annotations(Child("pool_worker.py"))) << run.tool.err;
  EXPECT_NE(run.tool.out.find("[1]"), std::string::npos) << run.tool.out;
}

// A worker function defined in the main script runs in the child's __mp_main__ (the
// script run again by multiprocessing), rewritten as the parent's __main__ is.
void ExpectMainScriptWorkerRace(const std::vector<std::string>& args, const std::string& script,
                                const std::string& out) {
  ChildRun run;
  RunJson(args, &run);
  EXPECT_EQ(run.tool.exit_code, 66) << run.tool.err;
  EXPECT_EQ(FindingsOf(run.report), Annotations(Child(script))) << run.tool.err;
  EXPECT_EQ(FindingsIn(run.report, "multiprocessing"), Annotations(Child(script))) << run.report.dump(2);
  for (const auto& f : run.report["findings"]) {
    ASSERT_TRUE(f.contains("process")) << f.dump(2);
    EXPECT_NE(f["process"]["pid"], run.report["pid"]);
  }
  EXPECT_NE(run.tool.out.find(out), std::string::npos) << run.tool.out;
}

TEST(Children, SpawnPoolWorkerDefinedInTheMainScriptRaces) {
  ExpectMainScriptWorkerRace({Child("spawn_main_pool.py"), "spawn"}, "spawn_main_pool.py", "[1, 2]");
}

TEST(Children, ForkserverPoolWorkerDefinedInTheMainScriptRaces) {
  ExpectMainScriptWorkerRace({Child("spawn_main_pool.py"), "forkserver"}, "spawn_main_pool.py", "[1, 2]");
}

TEST(Children, ProcessPoolExecutorWorkerDefinedInTheMainScriptRaces) {
  ExpectMainScriptWorkerRace({Child("spawn_main_executor.py")}, "spawn_main_executor.py", "[1]");
}

TEST(Children, SpawnPoolWorkerDefinedInTheMainScriptWithALockIsClean) {
  for (const std::string method : {"spawn", "forkserver"}) {
    ChildRun run;
    RunJson({Child("spawn_main_clean.py"), method}, &run);
    EXPECT_EQ(run.tool.exit_code, 0) << method << run.tool.err;
    EXPECT_EQ(run.report.at("findings").size(), 0u) << method << run.report.dump(2);
    EXPECT_EQ(run.tool.out, "[4000, 8000]\n") << method;
  }
}

TEST(Children, ForkedChildHasAStreamOfItsOwn) {
  ChildRun run;
  RunJson({Child("fork_child.py")}, &run);
  EXPECT_EQ(run.tool.exit_code, 66) << run.tool.err;
  EXPECT_EQ(FindingsOf(run.report), Annotations(Child("fork_child.py"))) << run.tool.err;
  const nlohmann::json& f = OnlyFinding(run.report);
  ASSERT_TRUE(f.contains("process")) << run.report.dump(2);
  EXPECT_EQ(f["process"]["ppid"], run.report["pid"]);
  EXPECT_NE(f["process"]["pid"], run.report["pid"]);
  EXPECT_NE(run.tool.out.find("forked child exited 0"), std::string::npos) << run.tool.out;
}

// os.forkpty runs Python's fork hooks (PyOS_AfterFork_Child): the child has a trace.
TEST(Children, PtyForkedChildHasAStreamOfItsOwn) {
  ChildRun run;
  RunJson({Child("forkpty_child.py")}, &run);
  EXPECT_EQ(run.tool.exit_code, 66) << run.tool.err;
  EXPECT_EQ(FindingsOf(run.report), Annotations(Child("forkpty_child.py"))) << run.tool.err;
  const nlohmann::json& f = OnlyFinding(run.report);
  ASSERT_TRUE(f.contains("process")) << run.report.dump(2);
  EXPECT_EQ(f["process"]["ppid"], run.report["pid"]);
  EXPECT_NE(f["process"]["pid"], run.report["pid"]);
  EXPECT_NE(run.tool.out.find("child on a pty\npty child exited 0\n"), std::string::npos) << run.tool.out;
}

// fork() from C skips Python's fork hooks: the child runs as it would and is named.
TEST(Children, ChildForkedFromCIsNamedNotAnalysed) {
  const ToolResult r = RunPyrace({"run", Child("c_fork_child.py")}, {}, PYRACE_CHILDREN_TESTDATA);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "child forked from C\nC-forked child exited 3\n");
  EXPECT_NE(r.err.find("(" + Child("c_fork_child.py") + "), forked by process "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("outside Python's fork hooks (fork() from C), was not analysed\n"), std::string::npos) << r.err;
  // One name, not one per hook.
  EXPECT_EQ(r.err.find("was not analysed"), r.err.rfind("was not analysed")) << r.err;
}

TEST(Children, HungChildIsReportedAndEndedByItsWatchdog) {
  ChildRun run;
  RunJson({Child("run_hung_child.py")}, &run);
  EXPECT_EQ(run.tool.exit_code, 66) << run.tool.err;
  EXPECT_EQ(FindingsIn(run.report, "hung_child.py"), Annotations(Child("hung_child.py"))) << run.tool.err;
  EXPECT_NE(run.tool.out.find("child ended True"), std::string::npos) << run.tool.out;
}

// A followed child forks as a top process would: a lock another of its threads holds
// is reported in that child, and a fork holding nothing is clean.
TEST(Children, ForkWithHeldLockInAFollowedChild) {
  ChildRun run;
  RunJson({Child("run_fork_child.py"), "fork_with_held_lock.py"}, &run);
  EXPECT_EQ(run.tool.exit_code, 66) << run.tool.err;
  EXPECT_EQ(FindingsIn(run.report, "fork_with_held_lock.py"), Annotations(Child("fork_with_held_lock.py")))
      << run.report.dump(2);
  EXPECT_EQ(FindingsOf(run.report), Annotations(Child("fork_with_held_lock.py"))) << run.tool.err;
  EXPECT_NE(run.tool.out.find("child exited with 0\nchild exited 0\n"), std::string::npos) << run.tool.out;

  ChildRun clean;
  RunJson({Child("run_fork_child.py"), "fork_clean.py"}, &clean);
  EXPECT_EQ(clean.tool.exit_code, 0) << clean.tool.err;
  EXPECT_TRUE(clean.report["findings"].empty()) << clean.report.dump(2);
  EXPECT_NE(clean.tool.out.find("child exited 0\n"), std::string::npos) << clean.tool.out;
}

TEST(Children, ChildWithoutARuntimeRunsAndIsNamedNotAnalysed) {
  ChildRun run;
  RunJson({Child("run_shell_child.py")}, &run);
  EXPECT_EQ(run.tool.exit_code, 66) << run.tool.err;
  EXPECT_NE(run.tool.out.find("from-shell\n"), std::string::npos) << run.tool.out;
  EXPECT_NE(run.tool.out.find("shell exited 5"), std::string::npos) << run.tool.out;
  EXPECT_NE(run.tool.err.find("(/bin/sh -c echo from-shell; exit 5), started by process"), std::string::npos)
      << run.tool.err;
  EXPECT_NE(run.tool.err.find("was not analysed"), std::string::npos) << run.tool.err;
  // The Python the shell started is analysed; its parent is the shell, not the program.
  EXPECT_EQ(FindingsIn(run.report, "child_race.py"), Annotations(Child("child_race.py")));
  const nlohmann::json& f = OnlyFinding(run.report);
  ASSERT_TRUE(f.contains("process")) << run.report.dump(2);
  EXPECT_NE(f["process"]["ppid"], run.report["pid"]);
}

// What a program that is not Python sees of pyrace (docs/children.md): when children
// are followed, exactly the runtime's three variables and its directory in front of the
// program's own PYTHONPATH (any program may start a Python); when they are not, the
// environment of a plain run.
TEST(Children, NonPythonChildSeesOnlyTheRuntimesVariablesWhenFollowed) {
  const std::string bin = PYRACE_BIN;
  const std::string runtime_dir = bin.substr(0, bin.rfind("/bin/")) + "/lib/pyrace";
  const ToolResult r = RunPyrace({"run", Child("run_env_child.py")}, {"PYTHONPATH=/own/dir"}, PYRACE_CHILDREN_TESTDATA);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string want;
  for (const std::string label : {"env", "sh", "built"}) {
    want += label + " extra ['PYRACE_FOLLOW', 'PYRACE_PYTHONPATH', 'PYRACE_RUNTIME_OPTIONS', 'PYTHONPATH'] missing []\n";
    want += label + " PYTHONPATH " + runtime_dir + ":/own/dir\n";
  }
  EXPECT_EQ(r.out, want);
}

TEST(Children, NonPythonChildSeesThePlainEnvironmentWhenNotFollowed) {
  const ToolResult r = RunPyrace({"run", "--follow-children=no", Child("run_env_child.py")}, {"PYTHONPATH=/own/dir"},
                                 PYRACE_CHILDREN_TESTDATA);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "env extra [] missing []\nsh extra [] missing []\nbuilt extra [] missing []\n");
  EXPECT_EQ(r.err, "");
}

TEST(Children, KilledChildKeepsWhatItSent) {
  ChildRun run;
  RunJson({Child("run_killed_child.py")}, &run);
  EXPECT_EQ(run.tool.exit_code, 66) << run.tool.err;
  EXPECT_EQ(FindingsOf(run.report), Annotations(Child("killed_child.py"))) << run.tool.err;
  EXPECT_NE(run.tool.out.find("child returncode -9"), std::string::npos) << run.tool.out;
}

TEST(Children, ReplayOfARecordedRunGivesTheSameFindings) {
  ChildRun run;
  RunJson({Child("run_child.py")}, &run, "record");
  ASSERT_EQ(run.tool.exit_code, 66) << run.tool.err;
  const std::string out = run.dir.File("replay.json");
  const ToolResult r = RunPyrace({"replay", run.dir.File("run.pyrt"), "--format", "json", "--output", out});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const nlohmann::json offline = ReadJson(out);
  EXPECT_EQ(offline["findings"], run.report["findings"]);
  EXPECT_EQ(FindingsOf(offline), Annotations(Child("child_race.py")));
}

// Several recorded runs replayed together: each keeps its child processes, as when it
// is replayed alone, and every finding names the process and trace it came from.
TEST(Children, ReplayOfSeveralRecordedRunsKeepsTheirChildren) {
  ChildRun racy, clean;
  RunJson({Child("run_child.py")}, &racy, "record");
  ASSERT_EQ(racy.tool.exit_code, 66) << racy.tool.err;
  RunJson({Child("run_clean_child.py")}, &clean, "record");
  ASSERT_EQ(clean.tool.exit_code, 3) << clean.tool.err;  // the parent's own code
  const std::string out = racy.dir.File("replay.json");
  const ToolResult r = RunPyrace({"replay", racy.dir.File("run.pyrt"), clean.dir.File("run.pyrt"), "--format",
                                  "json", "--output", out});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const nlohmann::json offline = ReadJson(out);
  EXPECT_EQ(FindingsOf(offline), Annotations(Child("child_race.py"))) << r.err;
  EXPECT_EQ(FindingsIn(offline, "child_race.py"), Annotations(Child("child_race.py")));
  for (const auto& f : offline["findings"]) {
    const auto& notes = f["notes"];
    EXPECT_NE(std::find(notes.begin(), notes.end(), "recorded in " + racy.dir.File("run.pyrt")), notes.end()) << f;
  }
}

// pytest-xdist for Debian's python3 (python3-pytest-xdist, scripts/setup.sh).
bool HaveXdist() { return std::system("/usr/bin/python3 -c 'import xdist' 2>/dev/null") == 0; }

void RunPytest(const std::string& workers, ChildRun* run) {
  const std::string out = run->dir.File("report.json");
  const std::string dir = Child("xdist_project");
  run->tool = RunPyrace({"run", "--python", "/usr/bin/python3", "--format", "json", "--output", out, "-m", "pytest",
                         "-q", "-p", "no:cacheprovider", "-n", workers, "test_workers.py"},
                        {}, dir);
  run->report = ReadJson(out);
}

TEST(Children, PytestXdistReportsWhatASingleProcessDoes) {
  if (!HaveXdist()) GTEST_SKIP() << "no pytest-xdist for /usr/bin/python3";
  ChildRun single, workers;
  RunPytest("0", &single);
  RunPytest("2", &workers);
  ASSERT_EQ(single.tool.exit_code, 66) << single.tool.out << single.tool.err;
  ASSERT_EQ(workers.tool.exit_code, 66) << workers.tool.out << workers.tool.err;
  EXPECT_NE(workers.tool.out.find("4 passed"), std::string::npos) << workers.tool.out;
  const FindingSet want = Annotations(Child("xdist_project/test_workers.py"));
  EXPECT_EQ(FindingsOf(single.report), want);
  EXPECT_EQ(FindingsOf(workers.report), want);
  // Each finding names the worker it came from: a child of the pytest process.
  for (const auto& f : workers.report["findings"]) {
    ASSERT_TRUE(f.contains("process")) << f.dump(2);
    EXPECT_NE(f["process"]["pid"], workers.report["pid"]);
  }
}

}  // namespace
}  // namespace pyrace::e2e
