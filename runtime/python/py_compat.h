// The few interpreter details that differ between CPython 3.10 and 3.15, behind
// one set of names, so the rest of the runtime reads the same on every version.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>

#ifdef Py_GIL_DISABLED
#error "the pyrace runtime relies on the GIL: no free-threaded build (docs/interpreters.md)"
#endif

#include <cstdint>

namespace pyrace::py {

// Borrowed code object of a frame. The frame keeps it alive.
inline PyCodeObject* FrameCode(PyFrameObject* f) {
#if PY_VERSION_HEX >= 0x030B0000
  PyCodeObject* code = PyFrame_GetCode(f);  // new reference
  Py_DECREF(code);
  return code;
#else
  return f->f_code;
#endif
}

// Byte offset of the last instruction the frame executed (or is executing).
inline int FrameLasti(PyFrameObject* f) {
#if PY_VERSION_HEX >= 0x030B0000
  return PyFrame_GetLasti(f);
#else
  return f->f_lasti * 2;  // 3.10 counts code units
#endif
}

// Borrowed caller frame. Callers stay alive while the callee's frame object does
// (3.11+ links f_back when a frame object outlives its activation).
inline PyFrameObject* FrameBack(PyFrameObject* f) {
#if PY_VERSION_HEX >= 0x030B0000
  PyFrameObject* back = PyFrame_GetBack(f);  // new reference
  if (back != nullptr) Py_DECREF(back);
  return back;
#else
  return f->f_back;
#endif
}

// The line a code offset belongs to.
inline int CodeLine(PyCodeObject* code, int lasti) {
  return PyCode_Addr2Line(code, lasti < 0 ? 0 : lasti);
}

// "Class.method" on 3.11+, the bare name before.
inline PyObject* CodeQualName(PyCodeObject* code) {
#if PY_VERSION_HEX >= 0x030B0000
  return code->co_qualname;
#else
  return code->co_name;
#endif
}

inline bool IsFinalizing() {
#if PY_VERSION_HEX >= 0x030D0000
  return Py_IsFinalizing() != 0;
#else
  return _Py_IsFinalizing() != 0;
#endif
}

// The frame of the running Python code (borrowed), or null when called from C only.
inline PyFrameObject* CurrentFrame() { return PyEval_GetFrame(); }

// Suspends trace and profile functions and (3.12+) sys.monitoring events for this
// thread: Python code run in between is invisible to them. Nests.
inline void SuspendTracing(PyThreadState* ts) {
#if PY_VERSION_HEX >= 0x030B0000
  PyThreadState_EnterTracing(ts);
#else
  ++ts->tracing;
  ts->cframe->use_tracing = 0;
#endif
}

inline void ResumeTracing(PyThreadState* ts) {
#if PY_VERSION_HEX >= 0x030B0000
  PyThreadState_LeaveTracing(ts);
#else
  --ts->tracing;
  ts->cframe->use_tracing = ts->tracing == 0 && (ts->c_tracefunc != nullptr || ts->c_profilefunc != nullptr);
#endif
}

// What a bound method (a Python function's or a builtin's) is bound to, borrowed from
// it, or null for any other callable; reads the object's fields, so no code runs.
inline PyObject* BoundSelf(PyObject* callable) {
  if (PyCFunction_Check(callable)) return PyCFunction_GET_SELF(callable);
  if (PyMethod_Check(callable)) return PyMethod_GET_SELF(callable);
  return nullptr;
}

// A C function of any calling convention a PyMethodDef names (METH_FASTCALL,
// METH_KEYWORDS...) as the PyCFunction its ml_meth field is declared as; the flags say
// how CPython calls it.
template <typename F>
PyCFunction AsPyCFunction(F f) {
  return reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(f));
}

// Keeps the exception being raised (or none) across code that may raise and clear.
class SavedError {
 public:
#if PY_VERSION_HEX >= 0x030C0000
  SavedError() : exc_(PyErr_GetRaisedException()) {}
  ~SavedError() { PyErr_SetRaisedException(exc_); }
#else
  SavedError() { PyErr_Fetch(&type_, &value_, &tb_); }
  ~SavedError() { PyErr_Restore(type_, value_, tb_); }
#endif
  SavedError(const SavedError&) = delete;
  SavedError& operator=(const SavedError&) = delete;

 private:
#if PY_VERSION_HEX >= 0x030C0000
  PyObject* exc_;
#else
  PyObject* type_ = nullptr;
  PyObject* value_ = nullptr;
  PyObject* tb_ = nullptr;
#endif
};

}  // namespace pyrace::py
