// The per-version layer's import-time checks (frame_walk.h): the offsets it was built
// with against the running interpreter's own description of them, and a stack walked
// by the layer against the one the public frame API gives. Either differing means the
// runtime would read the wrong memory on every recorded event, so the import fails
// with an error that says so instead.
#include "runtime/python/frame_walk.h"

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#if PY_VERSION_HEX >= 0x030D0000
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#define Py_BUILD_CORE 1
#include "internal/pycore_runtime.h"  // _PyRuntime.debug_offsets
#undef Py_BUILD_CORE
#pragma GCC diagnostic pop
#endif

namespace pyrace::py {

namespace {

struct Field {
  const char* name;
  uint64_t built;    // offsetof/sizeof in the headers the runtime was compiled with
  uint64_t running;  // what the running interpreter says
};

// 3.13+ interpreters describe their own layout for out-of-process debuggers.
std::vector<Field> DebugOffsetFields() {
#if PY_VERSION_HEX >= 0x030D0000
  const _Py_DebugOffsets& d = _PyRuntime.debug_offsets;
  return {
      {"interpreter_frame.size", sizeof(_PyInterpreterFrame), d.interpreter_frame.size},
      {"interpreter_frame.previous", offsetof(_PyInterpreterFrame, previous), d.interpreter_frame.previous},
      {"interpreter_frame.executable", offsetof(_PyInterpreterFrame, f_executable), d.interpreter_frame.executable},
      {"interpreter_frame.instr_ptr", offsetof(_PyInterpreterFrame, instr_ptr), d.interpreter_frame.instr_ptr},
      {"interpreter_frame.owner", offsetof(_PyInterpreterFrame, owner), d.interpreter_frame.owner},
      {"thread_state.current_frame", offsetof(PyThreadState, current_frame), d.thread_state.current_frame},
      {"code_object.size", sizeof(PyCodeObject), d.code_object.size},
      {"code_object.filename", offsetof(PyCodeObject, co_filename), d.code_object.filename},
      {"code_object.qualname", offsetof(PyCodeObject, co_qualname), d.code_object.qualname},
  };
#else
  return {};
#endif
}

std::string CheckDebugOffsets() {
#if PY_VERSION_HEX >= 0x030D0000
  const _Py_DebugOffsets& d = _PyRuntime.debug_offsets;
  if (std::memcmp(d.cookie, _Py_Debug_Cookie, sizeof(d.cookie)) != 0) {
    return "the interpreter's _Py_DebugOffsets are missing";
  }
  if ((d.version >> 16) != (PY_VERSION_HEX >> 16)) {
    return "the interpreter is version " + std::to_string(d.version >> 24) + "." +
           std::to_string((d.version >> 16) & 0xff);
  }
#endif
  for (const Field& f : DebugOffsetFields()) {
    if (f.built != f.running) {
      return std::string(f.name) + " is " + std::to_string(f.running) + " in the interpreter, " +
             std::to_string(f.built) + " in the headers";
    }
  }
  return std::string();
}

// (code, byte offset) of each frame, newest first, as the layer walks them.
std::vector<std::pair<PyCodeObject*, int>> LayerStack() {
  std::vector<std::pair<PyCodeObject*, int>> out;
  for (RawFrame f = TopRawFrame(); f != nullptr; f = RawBack(f)) out.emplace_back(RawCode(f), RawLasti(f));
  return out;
}

// The same through the public API (which creates frame objects: only for checks).
std::vector<std::pair<PyCodeObject*, int>> ApiStack() {
  std::vector<std::pair<PyCodeObject*, int>> out;
  for (PyFrameObject* f = CurrentFrame(); f != nullptr; f = FrameBack(f)) {
    out.emplace_back(FrameCode(f), FrameLasti(f));
  }
  return out;
}

std::string CheckWalk() {
  auto layer = LayerStack();
  auto api = ApiStack();
  if (layer.size() != api.size()) {
    return "the walk found " + std::to_string(layer.size()) + " frames, the frame API " + std::to_string(api.size());
  }
  for (size_t i = 0; i < layer.size(); ++i) {
    if (layer[i] != api[i]) return "frame " + std::to_string(i) + " of the walk is not the frame API's";
  }
  return std::string();
}

// _pyrace._walk_stack(): [(filename, lineno, name)] of the caller's stack, oldest first
// (traceback.extract_stack's order), read by the layer alone.
PyObject* WalkStack(PyObject*, PyObject*) {
  auto stack = LayerStack();
  PyObject* out = PyList_New(0);
  if (out == nullptr) return nullptr;
  for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
    PyObject* item = Py_BuildValue("(OiO)", it->first->co_filename, CodeLine(it->first, it->second), it->first->co_name);
    if (item == nullptr || PyList_Append(out, item) < 0) {
      Py_XDECREF(item);
      Py_DECREF(out);
      return nullptr;
    }
    Py_DECREF(item);
  }
  return out;
}

// _pyrace._frame_layout(): {field: (built, running)} for the fields checked against the
// interpreter's _Py_DebugOffsets (empty before 3.13).
PyObject* FrameLayout(PyObject*, PyObject*) {
  PyObject* out = PyDict_New();
  if (out == nullptr) return nullptr;
  for (const Field& f : DebugOffsetFields()) {
    PyObject* v = Py_BuildValue("(KK)", static_cast<unsigned long long>(f.built),
                                static_cast<unsigned long long>(f.running));
    if (v == nullptr || PyDict_SetItemString(out, f.name, v) < 0) {
      Py_XDECREF(v);
      Py_DECREF(out);
      return nullptr;
    }
    Py_DECREF(v);
  }
  return out;
}

PyMethodDef g_frame_methods[] = {
    {"_walk_stack", WalkStack, METH_NOARGS, "The caller's stack as the runtime's frame walk reads it."},
    {"_frame_layout", FrameLayout, METH_NOARGS, "The frame fields checked against the interpreter."},
    {nullptr, nullptr, 0, nullptr},
};

}  // namespace

bool CheckFrameLayer(PyObject* module) {
  std::string problem = CheckDebugOffsets();
  if (problem.empty()) problem = CheckWalk();
  if (!problem.empty()) {
    PyErr_Format(PyExc_ImportError,
                 "_pyrace was built against the headers of Python %s and cannot read this interpreter's "
                 "frames (%s); rebuild it against this interpreter's headers (docs/interpreters.md)",
                 PY_VERSION, problem.c_str());
    return false;
  }
  return PyModule_AddFunctions(module, g_frame_methods) == 0;
}

}  // namespace pyrace::py
