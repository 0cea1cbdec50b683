#include "runtime/python/subinterpreters.h"

#include "runtime/python/import_hook.h"
#include "runtime/python/runtime_thread.h"
#include "runtime/python/stand_in.h"

namespace pyrace::py {

#if PY_VERSION_HEX < 0x030C0000

namespace {

PyObject* g_is_running = nullptr;  // the original
PyObject* g_get_main = nullptr;

// The program's one thread state of the main interpreter, or null when it has more
// than one (or none).
PyThreadState* OnlyProgramThread() {
  PyThreadState* only = nullptr;
  for (PyThreadState* ts = PyInterpreterState_ThreadHead(PyInterpreterState_Main()); ts != nullptr;
       ts = PyThreadState_Next(ts)) {
    if (IsRuntimeThreadState(ts)) continue;
    if (only != nullptr) return nullptr;
    only = ts;
  }
  return only;
}

// is_running(id): the original's answer, unless it refused the main interpreter for
// the runtime's thread states only.
PyObject* IsRunning(PyObject*, PyObject* args, PyObject* kwargs) {
  PyObject* res = PyObject_Call(g_is_running, args, kwargs);
  if (res != nullptr || !PyErr_ExceptionMatches(PyExc_RuntimeError)) return res;
  PyObject* id = PyTuple_Check(args) && PyTuple_GET_SIZE(args) == 1 && kwargs == nullptr
                     ? PyTuple_GET_ITEM(args, 0)
                     : nullptr;  // borrowed
  PyThreadState* only = nullptr;
  {
    SavedError refused;  // the original's error stays the answer unless cleared below
    PyObject* main = id != nullptr ? PyObject_CallNoArgs(g_get_main) : nullptr;
    const int is_main = main != nullptr ? PyObject_RichCompareBool(id, main, Py_EQ) : -1;
    Py_XDECREF(main);
    if (PyErr_Occurred()) PyErr_Clear();
    if (is_main == 1) only = OnlyProgramThread();
  }
  if (only == nullptr) return nullptr;
  PyErr_Clear();
#if PY_VERSION_HEX >= 0x030B0000
  return PyBool_FromLong(only->cframe != nullptr && only->cframe->current_frame != nullptr);
#else
  return PyBool_FromLong(only->frame != nullptr && _PyFrame_IsExecuting(only->frame));
#endif
}

PyMethodDef g_is_running_def = {"is_running", AsPyCFunction(IsRunning), METH_VARARGS | METH_KEYWORDS, nullptr};

PyObject* WrapSubinterpreters(PyObject*, PyObject*) {
  if (g_is_running != nullptr) Py_RETURN_NONE;
  PyObject* mod = PyImport_ImportModule("_xxsubinterpreters");
  if (mod == nullptr) return nullptr;
  g_get_main = PyObject_GetAttrString(mod, "get_main");  // kept for the process
  Py_DECREF(mod);
  if (g_get_main == nullptr) {
    PyErr_Clear();
    Py_RETURN_NONE;  // not the module 3.11 has: leave it alone
  }
  if (!ReplaceInModule("_xxsubinterpreters", {{g_is_running_def, {.keep = &g_is_running}}})) return nullptr;
  Py_RETURN_NONE;
}
PyMethodDef g_wrap_subinterpreters_def = {"_wrap_subinterpreters", WrapSubinterpreters, METH_NOARGS, nullptr};

}  // namespace

bool InstallSubinterpreterStandIns() { return WhenImported("_xxsubinterpreters", &g_wrap_subinterpreters_def); }

#else

bool InstallSubinterpreterStandIns() { return true; }

#endif

}  // namespace pyrace::py
