// The running thread's Python frames, read from the interpreter's own frame chain.
//
// Why not PyFrame_GetBack: on 3.11+ frames live in a per-thread data stack and a frame
// *object* exists only once someone asks for one; walking callers through the public
// API creates (and GC-tracks) an object for every caller of every recorded event. That
// was 14% of the runtime's time on bench/programs/executor_map.py, plus the extra
// garbage collections it caused. The walk below reads the same fields PyFrame_GetBack,
// PyFrame_GetCode and PyFrame_GetLasti read, through the interpreter's own inline
// helpers (internal/pycore_frame.h of the exact version built against), so offsets and
// the "incomplete frame" rule stay CPython's. 3.10 has frame objects only.
//
// Must be called with the GIL held; a RawFrame is valid only until the thread runs
// Python code again.
#pragma once

#include "runtime/python/py_compat.h"

#if PY_VERSION_HEX >= 0x030B0000
// The internal headers are C; 3.13's pycore_backoff.h has an anonymous struct.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#define Py_BUILD_CORE 1
#if PY_VERSION_HEX >= 0x030E0000
#include "internal/pycore_interpframe.h"
#else
#include "internal/pycore_frame.h"
#endif
#undef Py_BUILD_CORE
#pragma GCC diagnostic pop
#endif

namespace pyrace::py {

#if PY_VERSION_HEX >= 0x030B0000

using RawFrame = _PyInterpreterFrame*;

// Skips frames that have not started running their code yet and, on 3.12+, the shim
// frames C code pushes when it calls into Python: PyFrame_GetBack skips the same.
inline RawFrame FirstComplete(RawFrame f) {
  while (f != nullptr && _PyFrame_IsIncomplete(f)) f = f->previous;
  return f;
}

inline RawFrame TopRawFrame() {
  PyThreadState* t = PyThreadState_Get();
#if PY_VERSION_HEX >= 0x030D0000
  return FirstComplete(t->current_frame);
#else
  return FirstComplete(t->cframe->current_frame);
#endif
}

inline RawFrame RawBack(RawFrame f) { return FirstComplete(f->previous); }

inline PyCodeObject* RawCode(RawFrame f) {
#if PY_VERSION_HEX >= 0x030D0000
  return _PyFrame_GetCode(f);
#else
  return f->f_code;
#endif
}

// Byte offset, as PyFrame_GetLasti gives it (the stack depot's keys mix both walks).
inline int RawLasti(RawFrame f) {
  int lasti = _PyInterpreterFrame_LASTI(f);
  return lasti < 0 ? -1 : lasti * static_cast<int>(sizeof(_Py_CODEUNIT));
}

#else

using RawFrame = PyFrameObject*;

inline RawFrame TopRawFrame() { return PyEval_GetFrame(); }
inline RawFrame RawBack(RawFrame f) { return f->f_back; }
inline PyCodeObject* RawCode(RawFrame f) { return f->f_code; }
inline int RawLasti(RawFrame f) { return FrameLasti(f); }

#endif

}  // namespace pyrace::py
