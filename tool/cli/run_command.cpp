#include "tool/cli/run_command.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "runtime/analysis/analyzer.h"
#include "runtime/trace/trace.h"
#include "tool/cli/child_process.h"
#include "tool/cli/child_waiter.h"
#include "tool/cli/exit_codes.h"
#include "tool/cli/interpreter.h"
#include "tool/cli/option_flags.h"
#include "tool/cli/process_streams.h"
#include "tool/cli/program_args.h"
#include "tool/cli/report.h"

namespace pyrace {
namespace {

// How long the reader may go on after the program exited before the pipe is cut (only
// when a process the program left behind still holds the pipe's write end).
constexpr std::chrono::milliseconds kDrainGrace{1000};
// The lowest descriptor the trace pipe may take in the program (below the usual
// 1024 soft limit; when the limit is lower the pipe stays where pipe2() put it).
constexpr int kTraceFdFloor = 1000;

struct RunRequest {
  ProgramArgs program;
  Options opts;
  std::string trace_file;  // record -o
};

std::string JoinLines(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? std::string("none") : s;
}

// Parses `pyrace run|record ...`. Returns -1 to go on, else the exit code (help, usage).
int ParseRequest(int argc, char** argv, bool record, RunRequest* req) {
  const std::string name = record ? "record" : "run";
  std::vector<std::string> all(argv + 1, argv + argc);
  req->program = SplitProgramArgs(all, record ? std::vector<std::string>{"-o"} : std::vector<std::string>{});

  CLI::App app(record ? "Run a Python program under pyrace, report its findings and keep its event trace."
                      : "Run a Python program under pyrace and report the concurrency bugs it shows.",
               "pyrace " + name);
  app.footer("Usage: pyrace " + name + (record ? " -o FILE" : "") +
             " [options] script.py [args...]\n       pyrace " + name + (record ? " -o FILE" : "") +
             " [options] -m module [args...]\n\nEverything after the script (or -m module) goes to the program. "
             "Options also come from env PYRACE_OPTIONS (key=value ...); the command line wins.\n"
             "Exit code: the program's own when clean, --exitcode (66) with findings, 2 on usage errors.");
  OptionArgs args;
  AddOptionFlags(app, &args);
  if (record) app.add_option("-o,--trace-file", req->trace_file, "Write the event trace here")->required();
  std::vector<std::string> tool_args(req->program.tool_args.rbegin(), req->program.tool_args.rend());
  try {
    app.parse(tool_args);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  KeepGiven(app, &args);
  std::string error;
  if (!ResolveOptions(args, &req->opts, &error)) {
    return Fail(error);
  }
  if (req->program.script.empty() && req->program.module.empty()) {
    return Fail("no program to run: pyrace " + name + " [options] script.py [args...] (or -m module); see --help");
  }
  return -1;
}

bool CheckScript(const std::string& script) {
  const int fd = open(script.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    Fail("cannot open script '" + script + "': " + std::strerror(errno));
    return false;
  }
  close(fd);
  return true;
}

std::string PrependPath(const char* var, const std::string& dir) {
  const char* old = std::getenv(var);
  return std::string(var) + "=" + dir + (old != nullptr && *old != '\0' ? ":" + std::string(old) : "");
}

ChildSpec MakeChildSpec(const RunRequest& req, const std::string& python, const std::string& runtime_dir,
                        int trace_fd, const std::string& socket_path) {
  // The child gets only what the runtime acts on; report options stay here.
  Options child_opts = req.opts;
  const Options defaults;
  child_opts.format = defaults.format;
  child_opts.output = defaults.output;
  child_opts.suppressions = defaults.suppressions;
  child_opts.python = defaults.python;
  child_opts.color = defaults.color;
  child_opts.trace_fd = trace_fd;
  child_opts.trace_socket = socket_path;
  child_opts.pytest_ids = req.program.module == "pytest";

  ChildSpec spec;
  spec.exe = python;
  spec.argv = {python, "-c", BootstrapSource(runtime_dir)};
  for (std::string& a : InterpreterArgs(req.program)) spec.argv.push_back(std::move(a));
  // PYRACE_PYTHONPATH keeps the program's own PYTHONPATH ("+value", "-" for none):
  // the runtime shows the program that one (docs/children.md). PYRACE_FOLLOW=1 marks
  // the processes the program starts, not this one.
  const char* own_path = std::getenv("PYTHONPATH");
  spec.env = {PrependPath("PYTHONPATH", runtime_dir), "PYRACE_RUNTIME_OPTIONS=" + SerializeOptions(child_opts),
              std::string("PYRACE_PYTHONPATH=") + (own_path != nullptr ? "+" + std::string(own_path) : "-"),
              "PYRACE_FOLLOW=0"};
  spec.keep_fd = trace_fd;
  return spec;
}

// Says what happened to the run when it did not simply exit; returns the exit code the
// program "had" (128+N for signal N).
int ProgramExitCode(const ExitInfo& exit, const ReadStatus& status) {
  if (!exit.signaled) return exit.code;
  std::fprintf(stderr, "pyrace: the program was killed by %s; analysed %llu events up to the last whole chunk\n",
               SignalName(exit.code).c_str(), static_cast<unsigned long long>(status.events));
  return 128 + exit.code;
}

void NoteTraceStatus(const ReadStatus& status, const ExitInfo& exit) {
  if (status.code == ReadStatus::kOk) return;
  // A killed child's trace ends mid-chunk by nature; the kill note says enough.
  if (status.code == ReadStatus::kTruncated && exit.signaled) return;
  Fail("trace from the runtime: " + status.message + "; analysed " + std::to_string(status.events) + " events");
}

struct Outcome {
  ReadStatus status;
  ExitInfo exit;
};

// The trace pipe: fds[0] for the tool, fds[1] for the program. Made before the tool
// starts any thread of its own: moving the program's end up to descriptor 1000 grows
// the descriptor table, and growing a table that another thread shares waits for an RCU
// grace period (the kernel's expand_fdtable), 28 ms on a VM here, on every run.
bool MakeTracePipe(int fds[2]) {
  if (pipe2(fds, O_CLOEXEC) != 0) {
    Fail(std::string("pipe: ") + std::strerror(errno));
    return false;
  }
  // A 64 KiB pipe holds one trace chunk: the program blocked on every chunk until the
  // tool woke up and read it. 1 MiB (the unprivileged maximum) lets it run ahead; a
  // refusal only costs speed.
  (void)fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
  // The program finds the descriptors it would plainly: the lowest free ones stay free
  // (code that allocates consecutive descriptors or counts on a closed one being
  // reused, as test_os's closerange tests do), so the pipe's end moves up out of the way.
  int high = fcntl(fds[1], F_DUPFD_CLOEXEC, kTraceFdFloor);
  if (high >= 0) {
    close(fds[1]);
    fds[1] = high;
  }
  return true;
}

// Spawns the program with the trace pipe (MakeTracePipe), analyses the trace while it
// runs, waits. Closes both ends.
bool RunAndAnalyse(const RunRequest& req, const std::string& python, const std::string& runtime_dir, int tee_fd,
                   const std::string& socket_path, int fds[2], Analyzer& analyzer, TraceReader& reader,
                   Outcome* out) {
  pid_t pid = 0;
  std::string error;
  if (!SpawnChild(MakeChildSpec(req, python, runtime_dir, fds[1], socket_path), &pid, &error)) {
    close(fds[0]);
    close(fds[1]);
    Fail(error);
    return false;
  }
  close(fds[1]);
  ForwardSignalsTo(pid);
  {
    ChildWaiter waiter(pid, fds[0], kDrainGrace);
    out->status = reader.ReadFd(fds[0], analyzer, tee_fd);
    waiter.ReaderDone();
    out->exit = DecodeStatus(waiter.Status());
  }
  RestoreSignals();
  close(fds[0]);
  return true;
}

// No trace bytes at all: the runtime never started (no build for this interpreter, or
// not a Python), or the program replaced itself with exec before the runtime's first
// flush. Returns the exit code to use, or -1 when the run is an ordinary one.
int NoTraceExitCode(const Outcome& o, const std::string& python, const std::string& runtime_dir) {
  if (o.exit.signaled || o.status.bytes != 0) return -1;
  if (o.exit.code == kRuntimeMissingExit) {
    return Fail("the runtime directory " + runtime_dir + " has builds for: " + JoinLines(RuntimeBuilds(runtime_dir)));
  }
  if (o.exit.code == kFreeThreadedExit) {
    return Fail("free-threaded interpreters are not supported yet (docs/interpreters.md)");
  }
  return Fail("no trace came from '" + python + "' (it exited with code " + std::to_string(o.exit.code) +
              "): the runtime did not start (is it a CPython 3.10-3.15 interpreter?) or the program exec'd "
              "another one before the runtime wrote anything");
}

int RunProgram(const RunRequest& req) {
  Reporter reporter;
  std::string error;
  if (!reporter.Prepare(req.opts, /*quiet_when_clean=*/true, &error)) return Fail(error);
  if (req.program.module.empty() && !CheckScript(req.program.script)) return kExitUsage;
  std::string python, runtime_dir;
  if (!FindInterpreter(req.opts.python, &python, &error)) return Fail(error);
  if (!FindRuntimeDir(&runtime_dir, &error)) return Fail(error);
  int tee_fd = -1;
  if (!req.trace_file.empty()) {
    tee_fd = open(req.trace_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (tee_fd < 0) return Fail("cannot write the trace to '" + req.trace_file + "': " + std::strerror(errno));
  }

  Analyzer analyzer(ToAnalysisOptions(req.opts));
  TraceReader reader;
  if (req.opts.on_deadlock == OnDeadlock::kContinue) {
    analyzer.OnDeadlock([&](const Finding& f) { reporter.EmitNow(f, reader.header().pid, stderr); });
  }
  // Each child process the program starts sends its own trace here (process_streams.h).
  int trace_pipe[2];
  if (!MakeTracePipe(trace_pipe)) {
    if (tee_fd >= 0) close(tee_fd);
    return kExitUsage;
  }
  ChildStreams children(ToAnalysisOptions(req.opts), req.trace_file.empty() ? "" : ChildrenDir(req.trace_file));
  if (req.opts.follow_children && !children.Listen(&error)) {
    close(trace_pipe[0]);
    close(trace_pipe[1]);
    return Fail(error);
  }
  Outcome outcome;
  const bool ran = RunAndAnalyse(req, python, runtime_dir, tee_fd, children.socket_path(), trace_pipe, analyzer,
                                 reader, &outcome);
  ChildrenResult child_results = children.Finish(kDrainGrace);
  if (tee_fd >= 0) close(tee_fd);
  if (!ran) return kExitUsage;
  if (const int rc = NoTraceExitCode(outcome, python, runtime_dir); rc >= 0) return rc;
  const int program_code = ProgramExitCode(outcome.exit, outcome.status);
  NoteTraceStatus(outcome.status, outcome.exit);

  std::vector<Finding> findings =
      CollectProcessFindings(analyzer.Finish(reader.symbols()), analyzer, reader, child_results, req.opts.max_findings);
  const int reported = reporter.Emit(std::move(findings), reader.header().pid, stderr, &error);
  if (reported < 0) return Fail(error);
  return reported > 0 ? req.opts.exitcode : program_code;
}

int Main(int argc, char** argv, bool record) {
  RunRequest req;
  const int rc = ParseRequest(argc, argv, record, &req);
  if (rc >= 0) return rc;
  return RunProgram(req);
}

}  // namespace

int RunMain(int argc, char** argv) { return Main(argc, argv, false); }
int RecordMain(int argc, char** argv) { return Main(argc, argv, true); }

}  // namespace pyrace
