#include "runtime/python/import_hook.h"

#include <string>

namespace pyrace::py {

bool RacesEnabled(const Options& opts) { return opts.detect.Has(Detect::kRaces); }

bool InstallImportHook(const Options& opts) {
  PyObject* inst = PyImport_ImportModule("_pyrace_instrument");
  if (inst == nullptr) return false;
  PyObject* argv = PySys_GetObject("argv");  // borrowed
  PyObject* r = PyObject_CallMethod(inst, "install_for_argv", "Os", argv != nullptr ? argv : Py_None,
                                    opts.instrument.c_str());
  Py_DECREF(inst);
  Py_XDECREF(r);
  return r != nullptr;
}

PyObject* CompileRewritten(PyObject* source, PyObject* path) {
  PyObject* inst = PyImport_ImportModule("_pyrace_instrument");
  if (inst == nullptr) return nullptr;
  PyObject* code = PyObject_CallMethod(inst, "compile_source", "OOs", source, path, "__main__");
  Py_DECREF(inst);
  return code;
}

}  // namespace pyrace::py
