// Installing the rewriting import hook of instrument/python/_pyrace_instrument, and
// rewriting the main script, for race mode.
#pragma once

#include "runtime/python/py_compat.h"

#include "runtime/options/options.h"

namespace pyrace::py {

// Whether option detect asks for races (the import hook and the access hooks are on).
bool RacesEnabled(const Options& opts);
// _pyrace_instrument.install_for_argv(sys.argv, patterns): the import hook for the
// program sys.argv names. false = exception set.
bool InstallImportHook(const Options& opts);
// _pyrace_instrument.compile_source(source, path, "__main__"): a new reference, or
// null with an exception set.
PyObject* CompileRewritten(PyObject* source, PyObject* path);

}  // namespace pyrace::py
