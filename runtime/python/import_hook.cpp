#include "runtime/python/import_hook.h"

#include <string>

namespace pyrace::py {

bool RacesEnabled(const Options& opts) { return opts.detect.Has(Detect::kRaces); }

namespace {

// runpy compiles the main script a multiprocessing spawn or forkserver child runs
// again as __mp_main__ itself; _pyrace_instrument.patch_runpy has it rewritten. Done
// when the program imports runpy: importing it here would add it to sys.modules.
PyObject* PatchRunpy(PyObject*, PyObject*) {
  PyObject* inst = PyImport_ImportModule("_pyrace_instrument");
  if (inst == nullptr) return nullptr;
  PyObject* r = PyObject_CallMethod(inst, "patch_runpy", nullptr);
  Py_DECREF(inst);
  return r;
}
PyMethodDef g_patch_runpy_def = {"_patch_runpy", PatchRunpy, METH_NOARGS, nullptr};

}  // namespace

bool InstallImportHook(const Options& opts) {
  PyObject* inst = PyImport_ImportModule("_pyrace_instrument");
  if (inst == nullptr) return false;
  PyObject* argv = PySys_GetObject("argv");  // borrowed
  PyObject* r = PyObject_CallMethod(inst, "install_for_argv", "Os", argv != nullptr ? argv : Py_None,
                                    opts.instrument.c_str());
  Py_DECREF(inst);
  Py_XDECREF(r);
  return r != nullptr && WhenImported("runpy", &g_patch_runpy_def);
}

PyObject* CompileRewritten(PyObject* source, PyObject* path) {
  PyObject* inst = PyImport_ImportModule("_pyrace_instrument");
  if (inst == nullptr) return nullptr;
  PyObject* code = PyObject_CallMethod(inst, "compile_source", "OOs", source, path, "__main__");
  Py_DECREF(inst);
  return code;
}

namespace {

// The finder of WhenImported. The import machinery stops at the spec it returns, so
// leaving sys.meta_path while it iterates skips no other finder. A loader that is a
// class (built-in and frozen modules) is wrapped in a forwarding loader, never
// patched: its exec_module is every such module's; the module's __loader__ and
// __spec__.loader are the real one again before anything sees them.
constexpr const char kWatchSource[] = R"(
import sys

class _PyraceImportWatch:
    pending = {}
    _busy = set()

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        install = cls.pending.get(name)
        if install is None or name in cls._busy:
            return None
        cls._busy.add(name)
        try:
            spec = None
            for finder in sys.meta_path:
                find = getattr(finder, "find_spec", None)
                if finder is cls or find is None:
                    continue
                spec = find(name, path, target)
                if spec is not None:
                    break
        finally:
            cls._busy.discard(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        del cls.pending[name]
        if not cls.pending:
            try:
                sys.meta_path.remove(cls)
            except ValueError:
                pass
        real = spec.loader
        if isinstance(real, type):
            class _Loader:
                def create_module(self, spec):
                    return real.create_module(spec)

                def exec_module(self, module):
                    module.__loader__ = real
                    module.__spec__.loader = real
                    real.exec_module(module)
                    install()

            spec.loader = _Loader()
            return spec
        real_exec = real.exec_module

        def exec_module(module):
            try:
                real_exec(module)
            finally:
                try:
                    del real.exec_module
                except AttributeError:
                    pass
            install()

        real.exec_module = exec_module
        return spec

def watch(name, install):
    if not _PyraceImportWatch.pending:
        sys.meta_path.insert(0, _PyraceImportWatch)
    _PyraceImportWatch.pending[name] = install
)";

PyObject* g_watch = nullptr;  // watch(name, install) of kWatchSource, kept for the process

}  // namespace

bool WhenImported(const char* name, PyMethodDef* install) {
  PyObject* modules = PyImport_GetModuleDict();  // borrowed
  PyObject* already = PyDict_GetItemString(modules, name);  // borrowed
  if (already != nullptr) {
    PyObject* r = install->ml_meth(nullptr, nullptr);
    Py_XDECREF(r);
    return r != nullptr;
  }
  if (g_watch == nullptr) {
    PyObject* globals = PyDict_New();
    PyObject* mod_name = PyUnicode_FromString("_pyrace");
    bool ok = globals != nullptr && mod_name != nullptr &&
              PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins()) == 0 &&
              PyDict_SetItemString(globals, "__name__", mod_name) == 0;
    PyObject* r = ok ? PyRun_String(kWatchSource, Py_file_input, globals, globals) : nullptr;
    Py_XDECREF(r);
    Py_XDECREF(mod_name);
    g_watch = r != nullptr ? PyDict_GetItemString(globals, "watch") : nullptr;  // borrowed
    Py_XINCREF(g_watch);
    Py_XDECREF(globals);
    if (g_watch == nullptr) {
      if (!PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "pyrace: the import watch did not start");
      return false;
    }
  }
  PyObject* fn = PyCFunction_New(install, nullptr);
  PyObject* r = fn != nullptr ? PyObject_CallFunction(g_watch, "sO", name, fn) : nullptr;
  Py_XDECREF(fn);
  Py_XDECREF(r);
  return r != nullptr;
}

}  // namespace pyrace::py
