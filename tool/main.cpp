// pyrace: dispatches to one subcommand; each lives in its own file under tool/cli/.
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "tool/cli/cflags_command.h"
#include "tool/cli/exit_codes.h"
#include "tool/cli/replay_command.h"
#include "tool/cli/run_command.h"
#ifdef PYRACE_HAVE_LINT
#include "tool/lint/lint_main.h"
#endif

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

int Lint(int argc, char** argv) {
#ifdef PYRACE_HAVE_LINT
  return pyrace::LintMain(argc, argv);
#else
  (void)argc;
  (void)argv;
  return pyrace::Fail("lint is not available in this build");
#endif
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
  if (cmd == "lint") return Lint(argc - 1, argv + 1);
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
