// Following the program's child processes (docs/children.md).
//
// The tool starts the program with the runtime directory first on PYTHONPATH and the
// runtime's options in the environment. Every analysed process passes that on to the
// processes it starts: the exec and spawn entry points (_posixsubprocess.fork_exec,
// os.execv/execve, os.posix_spawn/posix_spawnp) give the child an environment with the
// runtime's variables put back in (the program may have built its own from
// os.environ, which does not show them), and PYRACE_FOLLOW=1 tells the runtime's
// sitecustomize in a Python child to start the runtime there (BootstrapChild).
// Each analysed process sends its own trace to the tool's Unix socket
// (option trace_socket) and the spawners tell the tool which children they started,
// so the report can name a child that was not analysed.
#pragma once

#include "runtime/python/py_compat.h"

#include <string>

#include "runtime/options/options.h"

namespace pyrace::py {

// Hides the runtime's variables from os.environ (the program sees the environment it
// would see without pyrace) and, when opts.follow_children, wraps the exec and spawn
// entry points (the C environment keeps the variables for the children); otherwise
// takes them out of the C environment too. false = exception set.
bool InstallChildFollow(const Options& opts);

// A connected stream socket to opts.trace_socket (close-on-exec), or -1.
int ConnectTraceSocket(const Options& opts);

}  // namespace pyrace::py
