#include "tool/cli/cflags_command.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "tool/cli/exit_codes.h"
#include "tool/cli/interpreter.h"

namespace pyrace {

namespace {
constexpr const char* kPluginName = "libpyrace_llvm.so";
}  // namespace

int CflagsMain(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::printf(
        "Usage: pyrace cflags\n\n"
        "Prints the flags that instrument a C extension with pyrace's LLVM pass plugin\n"
        "(Debian's clang 14). Under `pyrace run` the extension then reports reference\n"
        "counts and C-API calls without the GIL, and its mutexes join the lock graph;\n"
        "under plain python3 it runs as before.\n\n"
        "  CC=clang-14 CFLAGS=\"$(pyrace cflags)\" python3 setup.py build_ext\n");
    return 0;
  }
  if (argc > 1) return Fail(std::string("cflags takes no arguments, got '") + argv[1] + "'");
  std::string dir, error;
  if (!FindRuntimeDir(&dir, &error)) return Fail(error);
  const std::string plugin = dir + "/" + kPluginName;
  struct stat st;
  if (stat(plugin.c_str(), &st) != 0) {
    return Fail("the LLVM pass plugin " + plugin + " is not built (it needs llvm-14-dev; run scripts/setup.sh)");
  }
  // -g: the plugin reports C file:line from debug locations.
  std::printf("-g -fpass-plugin=%s\n", plugin.c_str());
  return 0;
}

}  // namespace pyrace
