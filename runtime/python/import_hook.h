// Installing the rewriting import hook of instrument/python/_pyrace_instrument, and
// rewriting the main script, for race mode.
#pragma once

#include "runtime/python/py_compat.h"

#include "runtime/options/options.h"

namespace pyrace::py {

// Whether option detect asks for races (the import hook and the access hooks are on).
bool RacesEnabled(const Options& opts);
// _pyrace_instrument.install_for_argv(sys.argv, patterns) for the program sys.argv
// names, with the runtime's spec hook (below) handing every spec found to the
// rewriter's spec_for. false = exception set.
bool InstallImportHook(const Options& opts);
// _pyrace_instrument.compile_source(source, path, "__main__"), with tracing suspended:
// a new reference, or null with an exception set.
PyObject* CompileRewritten(PyObject* source, PyObject* path);

// _pyrace_instrument.plain_code(code), with tracing suspended: the plain program's code
// where it has the rewritten `code`, or `code` itself when there is none (its source is
// gone or changed). A new reference; never fails (an error of the lookup is dropped:
// the caller then goes on with `code`, as without the lookup).
PyObject* PlainCode(PyObject* code);

// Calls install() (a METH_NOARGS function; null result = exception, which the import
// then raises) right after the program imports module `name`, or now when it is
// imported already, so that pyrace never imports a module the program does not: the
// runtime wraps importlib's _find_spec until every module it waits for is in (in race
// mode for the whole run, for the rewriter), and every finder on sys.meta_path is asked
// as plainly. It is C, and what it runs of pyrace's runs with tracing suspended: no
// tracer, profiler or sys.monitoring tool sees a frame of pyrace's. false = exception
// set.
bool WhenImported(const char* name, PyMethodDef* install);

}  // namespace pyrace::py
