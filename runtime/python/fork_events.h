// The fork event in the parent's trace: kFork, recorded by an os.register_at_fork
// `before` hook, so every fork that goes through the interpreter's os.fork (bare
// os.fork(), multiprocessing's fork start method, os.forkpty, pty.fork) is recorded by
// the forking thread, under the GIL, with its stack, at the point where the other
// threads' locks are frozen into the child. The analysis (runtime/analysis/
// fork_detector.*) decides from the lock state at that event.
#pragma once

#include "runtime/python/py_compat.h"

namespace pyrace::py {

// Registers the hook; true when there is no fork on this platform. False with a
// Python exception set on failure.
bool InstallForkEvents();

// os.register_at_fork with C hooks (any may be null): the one registration path of the
// runtime's fork hooks. True when there is no fork on this platform; false with a
// Python exception set on failure.
bool RegisterAtFork(PyMethodDef* before, PyMethodDef* after_in_parent, PyMethodDef* after_in_child);

}  // namespace pyrace::py
