// pyrace: dispatches to one subcommand; each lives in its own file under tool/cli/.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "tool/cli/cflags_command.h"
#include "tool/cli/exit_codes.h"
#include "tool/cli/interpreter.h"
#include "tool/cli/replay_command.h"
#include "tool/cli/run_command.h"

namespace {

constexpr const char* kUsage =
    "pyrace " PYRACE_VERSION " - race and deadlock detector for Python programs and their C extensions\n"
    "\n"
    "Usage:\n"
    "  pyrace run [options] script.py [args...]     run a program and report what it does wrong\n"
    "  pyrace run [options] -m module [args...]     the same for `python -m module`\n"
    "  pyrace record -o FILE [options] script.py    the same, keeping the event trace in FILE\n"
    "  pyrace replay FILE [options]                 analyse a recorded trace\n"
    "  pyrace lint [options] PATH...                static checks of Python and C sources\n"
    "  pyrace cflags                                CFLAGS that instrument a C extension\n"
    "  pyrace --version\n"
    "\n"
    "`pyrace <command> --help` lists each command's options.\n";

// `pyrace lint` is the sibling executable pyrace-lint, the way git runs git-*: the
// linter links LLVM and Clang, and loading those costs every `pyrace run` about 50 MB
// of resident memory and start-up time it does not need (docs/architecture.md).
int Lint(char** argv) {
  std::string lint = pyrace::SelfDir() + "/pyrace-lint";
  argv[0] = lint.data();
  execv(lint.c_str(), argv);
  return pyrace::Fail("cannot run the linter " + lint + ": " + std::strerror(errno));
}

}  // namespace

int main(int argc, char** argv) {
  // A reader that went away (`pyrace replay t | head`) must not kill the tool mid-report.
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return pyrace::kExitUsage;
  }
  const std::string cmd = argv[1];
  if (cmd == "run") return pyrace::RunMain(argc - 1, argv + 1);
  if (cmd == "record") return pyrace::RecordMain(argc - 1, argv + 1);
  if (cmd == "replay") return pyrace::ReplayMain(argc - 1, argv + 1);
  if (cmd == "lint") return Lint(argv + 1);
  if (cmd == "cflags") return pyrace::CflagsMain(argc - 1, argv + 1);
  if (cmd == "--version" || cmd == "version") {
    std::printf("pyrace %s\n", PYRACE_VERSION);
    return 0;
  }
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::fprintf(stderr, "pyrace: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
  return pyrace::kExitUsage;
}
