#include "runtime/python/fork_events.h"

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

bool InstallForkEvents() {
  PyObject* os = PyImport_ImportModule("os");
  if (os == nullptr) return false;
  PyObject* reg = PyObject_GetAttrString(os, "register_at_fork");
  Py_DECREF(os);
  if (reg == nullptr) {
    PyErr_Clear();  // no fork on this platform
    return true;
  }
  PyObject* before = PyCFunction_NewEx(&g_record_fork_def, nullptr, nullptr);
  PyObject* kw = before != nullptr ? Py_BuildValue("{sO}", "before", before) : nullptr;
  PyObject* args = PyTuple_New(0);
  PyObject* res = kw != nullptr && args != nullptr ? PyObject_Call(reg, args, kw) : nullptr;
  Py_XDECREF(res);
  Py_XDECREF(args);
  Py_XDECREF(kw);
  Py_XDECREF(before);
  Py_DECREF(reg);
  return res != nullptr;
}

}  // namespace pyrace::py
