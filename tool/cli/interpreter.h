// Where the pieces of a run come from: the user's Python interpreter, the runtime
// directory holding _pyrace for each built Python version, and the bootstrap the child
// runs with `python -c`.
#pragma once

#include <string>
#include <vector>

namespace pyrace {

// The bootstrap exits with this code, before running any user code, when `import
// _pyrace` fails (no runtime built for that interpreter). Agreed with runtime/python
// (docs/runtime.md).
inline constexpr int kRuntimeMissingExit = 121;

// The bootstrap exits with this code, before importing _pyrace, when the interpreter is
// a free-threaded build (Py_GIL_DISABLED): the runtime relies on the GIL
// (docs/interpreters.md), so no runtime is built for one and none may be loaded.
inline constexpr int kFreeThreadedExit = 122;

// An executable path for the interpreter: `requested` when it contains a slash, else
// found on PATH ("python3" when empty). False with *error when there is none.
bool FindInterpreter(const std::string& requested, std::string* path, std::string* error);

// env PYRACE_RUNTIME_DIR, else <dir of this executable>/../lib/pyrace. False with
// *error when the directory does not exist.
bool FindRuntimeDir(std::string* dir, std::string* error);

// The directory of the running pyrace executable ("." when /proc is not there).
std::string SelfDir();

// The _pyrace builds present in dir ("cpython-311-x86_64-linux-gnu", ...).
std::vector<std::string> RuntimeBuilds(const std::string& dir);

// The `python -c` source: import _pyrace and hand over to _pyrace.bootstrap(), or say
// in one line which interpreter has no runtime in runtime_dir and exit
// kRuntimeMissingExit (kFreeThreadedExit for a free-threaded interpreter).
std::string BootstrapSource(const std::string& runtime_dir);

}  // namespace pyrace
