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
//
// This header is the runtime's one per-version layer over private interpreter
// structures: _PyInterpreterFrame, the thread state's frame link and the code object's
// _co_firsttraceable are read here and nowhere else. Each field is pinned below by a
// static_assert on its offset for every version ported, so a version (or a patch
// release) that moves one stops the build instead of reading garbage; at import,
// CheckFrameLayer() (frame_walk.cpp) compares the same offsets with the running
// interpreter's own _Py_DebugOffsets (3.13+) and a walked stack with the public frame
// API, and refuses to load on a difference. Porting a version: docs/interpreters.md.
#pragma once

#include "runtime/python/py_compat.h"

#if PY_VERSION_HEX >= 0x030B0000
// The internal headers are C; 3.13's pycore_backoff.h has an anonymous struct.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#define Py_BUILD_CORE 1
#if PY_VERSION_HEX >= 0x030E0000  // 3.14 split the frame header
#include "internal/pycore_interpframe.h"
#else
#include "internal/pycore_frame.h"
#endif
#undef Py_BUILD_CORE
#pragma GCC diagnostic pop
#endif

#if PY_VERSION_HEX >= 0x03100000
#error "runtime/python/frame_walk.h is not ported to this Python version (docs/interpreters.md)"
#endif

#include <cstddef>
#include <cstdint>

// The offsets each version's frame walk relies on (LP64; a debug build's are checked at
// import only). A failure here means the version moved a field the walk reads: check
// that the walk below still reads it right, then update the numbers.
#if PY_VERSION_HEX >= 0x030B0000 && UINTPTR_MAX == UINT64_MAX && !defined(Py_DEBUG)
#if PY_VERSION_HEX >= 0x030E0000
// 3.14 (3.15 the same): f_executable is a tagged _PyStackRef, read through
// _PyFrame_GetCode; the frame grew a stack pointer (owner 70 -> 74), the code object a
// field before _co_firsttraceable.
static_assert(offsetof(_PyInterpreterFrame, previous) == 8);
static_assert(offsetof(_PyInterpreterFrame, f_executable) == 0);
static_assert(offsetof(_PyInterpreterFrame, instr_ptr) == 56);
static_assert(offsetof(_PyInterpreterFrame, owner) == 74);
static_assert(offsetof(PyThreadState, current_frame) == 72);
static_assert(offsetof(PyCodeObject, _co_firsttraceable) == 192);
#elif PY_VERSION_HEX >= 0x030D0000
// 3.13: the thread state links its frame directly (no _PyCFrame); f_code became
// f_executable, prev_instr became instr_ptr.
static_assert(offsetof(_PyInterpreterFrame, previous) == 8);
static_assert(offsetof(_PyInterpreterFrame, f_executable) == 0);
static_assert(offsetof(_PyInterpreterFrame, instr_ptr) == 56);
static_assert(offsetof(_PyInterpreterFrame, owner) == 70);
static_assert(offsetof(PyThreadState, current_frame) == 72);
static_assert(offsetof(PyCodeObject, _co_firsttraceable) == 184);
#elif PY_VERSION_HEX >= 0x030C0000
// 3.12: previous moved to the front, after f_code.
static_assert(offsetof(_PyInterpreterFrame, previous) == 8);
static_assert(offsetof(_PyInterpreterFrame, f_code) == 0);
static_assert(offsetof(_PyInterpreterFrame, prev_instr) == 56);
static_assert(offsetof(_PyInterpreterFrame, owner) == 70);
static_assert(offsetof(PyThreadState, cframe) == 56);
static_assert(offsetof(_PyCFrame, current_frame) == 0);
static_assert(offsetof(PyCodeObject, _co_firsttraceable) == 176);
#else  // 3.11
static_assert(offsetof(_PyInterpreterFrame, previous) == 48);
static_assert(offsetof(_PyInterpreterFrame, f_code) == 32);
static_assert(offsetof(_PyInterpreterFrame, prev_instr) == 56);
static_assert(offsetof(_PyInterpreterFrame, owner) == 69);
static_assert(offsetof(PyThreadState, cframe) == 56);
static_assert(offsetof(_PyCFrame, current_frame) == 8);
static_assert(offsetof(PyCodeObject, _co_firsttraceable) == 168);
#endif
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

// Local slot i (a local, a cell or a free variable), borrowed; null when unbound.
inline PyObject* RawLocal(RawFrame f, Py_ssize_t i) {
#if PY_VERSION_HEX >= 0x030E0000
  return PyStackRef_AsPyObjectBorrow(f->localsplus[i]);
#else
  return f->localsplus[i];
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

// Import-time check of this layer against the running interpreter (frame_walk.cpp):
// false with ImportError set when it would misread frames; else adds _walk_stack and
// _frame_layout (for the runtime's tests) to module.
bool CheckFrameLayer(PyObject* module);

}  // namespace pyrace::py
