#include "runtime/python/fork_events.h"

#include <utility>

#include "runtime/python/recorder.h"

namespace pyrace::py {

namespace {

PyObject* RecordFork(PyObject*, PyObject*) {
  Recorder& rec = Recorder::Get();
  if (rec.recording()) rec.Emit(EventKind::kFork, 0, 0, 0, rec.CaptureStack());
  Py_RETURN_NONE;
}

PyMethodDef g_record_fork_def = {"_pyrace_record_fork", RecordFork, METH_NOARGS, nullptr};

}  // namespace

bool InstallForkEvents() { return RegisterAtFork(&g_record_fork_def, nullptr, nullptr); }

bool RegisterAtFork(PyMethodDef* before, PyMethodDef* after_in_parent, PyMethodDef* after_in_child) {
  PyObject* os = PyImport_ImportModule("os");
  if (os == nullptr) return false;
  PyObject* reg = PyObject_GetAttrString(os, "register_at_fork");
  Py_DECREF(os);
  if (reg == nullptr) {
    PyErr_Clear();  // no fork on this platform
    return true;
  }
  PyObject* kw = PyDict_New();
  bool ok = kw != nullptr;
  const std::pair<const char*, PyMethodDef*> hooks[] = {
      {"before", before}, {"after_in_parent", after_in_parent}, {"after_in_child", after_in_child}};
  for (const auto& [name, def] : hooks) {
    if (!ok || def == nullptr) continue;
    PyObject* fn = PyCFunction_NewEx(def, nullptr, nullptr);
    ok = fn != nullptr && PyDict_SetItemString(kw, name, fn) == 0;
    Py_XDECREF(fn);
  }
  PyObject* args = ok ? PyTuple_New(0) : nullptr;
  PyObject* res = args != nullptr ? PyObject_Call(reg, args, kw) : nullptr;
  Py_XDECREF(res);
  Py_XDECREF(args);
  Py_XDECREF(kw);
  Py_DECREF(reg);
  return res != nullptr;
}

}  // namespace pyrace::py
