// The functions rewritten user code calls for every access to shared state
// (instrument/python/_pyrace_instrument/rewriter.py writes the calls).
//
// A rewritten module's code gets its hooks, before it runs, from
//   _pyrace.access_hooks(names, module, filename, sites)
// where sites is a tuple of (kind, line, name, text) built by the rewriter; the hooks
// are constants of the code (rewriter.bind), never names of the program. Each access
// passes its site's index, so the per-access work is one vectorcall with constant
// arguments. A hook pickles as the call of _pyrace.access_hook(name, module, filename,
// sites) that rebuilds it (code pickled by value: docs/runtime.md). The hooks do the
// original operation (getattr, setitem, the method call...) with its exact semantics
// and exceptions, then record a kAccess on the location (object, key) -> LocId.
#pragma once

#include "runtime/python/py_compat.h"

namespace pyrace::py {
class Recorder;

// Whether code (or a code object nested in it) holds hooks as constants: rewritten code,
// which marshal cannot write (code_export.h).
bool HoldsAccessHooks(PyObject* code);
}  // namespace pyrace::py

// Called by the extension's bootstrap() after the lock and thread wrappers are in
// place, before user code runs: adds access_hooks() and access_stats() to the module
// and wraps the container deallocators. 0 = ok, -1 = exception set.
// In race mode (option detect has "races") it also installs the import hook of
// instrument/python/_pyrace_instrument for the program named by sys.argv.
int pyrace_access_init(PyObject* module, pyrace::py::Recorder* rec);

// The main script's code, rewritten for race detection: a new reference, or null with
// an exception set (a SyntaxError is Python's own). Null with no exception set when
// races are not detected: the caller compiles the script as usual.
PyObject* pyrace_access_compile_main(PyObject* source, PyObject* path);

// An asyncio loop runs tasks on this thread (asyncio_hooks.cpp): they interleave at
// every await, so accesses must be recorded from now on even while the program has one
// thread (the lost updates across await of docs/asyncio.md).
void pyrace_access_tasks_interleave();
