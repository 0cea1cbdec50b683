// Missed releases: has the function activation that acquired a lock ended while the
// lock is still held? The frame object of the acquire answers it without being kept
// alive (that would keep the function's locals alive): the interpreter frees a frame
// object only after its activation has ended, so its deallocation, wrapped here, is
// the end, and at that moment the frame still knows its last line (the return or
// raise) and its callers. A frame that lives on (a traceback keeps it) is asked
// whether it is still running when its lock is next waited for, freed, or its
// thread ends.
#include <unordered_map>
#include <vector>

#include "runtime/python/holders.h"
#include "runtime/python/lock_types.h"
#include "runtime/python/recorder.h"
#include "runtime/python/threads.h"

namespace pyrace::py {

namespace {

#if PY_VERSION_HEX >= 0x030B0000
int g_return_ops[2] = {-1, -1};  // RETURN_VALUE, RETURN_CONST (3.12, 3.13)
#endif

#if PY_VERSION_HEX >= 0x030B0000
// The newest frame of thread t (new reference), null when it runs no Python code.
PyFrameObject* TopFrameOf(ThreadRec* t) {
  if (t == Recorder::Get().threads().CurrentOrNull()) {
    PyFrameObject* f = CurrentFrame();
    Py_XINCREF(f);
    return f;
  }
  if (t->tstate == nullptr) return nullptr;
  return PyThreadState_GetFrame(t->tstate);
}

bool OnChain(PyFrameObject* frame, PyFrameObject* top) {
  for (PyFrameObject* f = top; f != nullptr; f = FrameBack(f)) {
    if (f == frame) return true;
  }
  return false;
}

// A generator or coroutine frame is suspended, not ended, while off the stack.
bool GeneratorFinished(PyObject* gen) {
  static const char* const kAttrs[] = {"gi_frame", "cr_frame", "ag_frame"};
  for (const char* attr : kAttrs) {
    PyObject* f = PyObject_GetAttrString(gen, attr);
    if (f == nullptr) {
      PyErr_Clear();
      continue;
    }
    bool done = f == Py_None;
    Py_DECREF(f);
    return done;
  }
  return false;
}
#endif

bool FrameFinished(PyFrameObject* frame, ThreadRec* holder) {
#if PY_VERSION_HEX >= 0x030B0000
  PyObject* gen = PyFrame_GetGenerator(frame);
  if (gen != nullptr) {
    bool done = GeneratorFinished(gen);
    Py_DECREF(gen);
    return done;
  }
  PyFrameObject* top = TopFrameOf(holder);
  bool running = OnChain(frame, top);
  Py_XDECREF(top);
  return !running;
#else
  (void)holder;
  return frame->f_state > 0;  // FRAME_RETURNED, FRAME_UNWINDING, FRAME_RAISED, FRAME_CLEARED
#endif
}

bool FrameRaised(PyFrameObject* frame) {
#if PY_VERSION_HEX >= 0x030B0000
  PyCodeObject* code = FrameCode(frame);
  PyObject* bytes = PyCode_GetCode(code);
  if (bytes == nullptr) {
    PyErr_Clear();
    return false;
  }
  int lasti = FrameLasti(frame);
  bool raised = true;
  if (lasti >= 0 && lasti < PyBytes_GET_SIZE(bytes)) {
    int op = static_cast<unsigned char>(PyBytes_AS_STRING(bytes)[lasti]);
    raised = op != g_return_ops[0] && op != g_return_ops[1];
  }
  Py_DECREF(bytes);
  return raised;
#else
  return frame->f_state == 3;  // FRAME_RAISED
#endif
}

void ReportFrameEnd(LockObject* l, PyFrameObject* frame) {
  Recorder& rec = Recorder::Get();
  l->frame_end_reported = true;
  rec.EmitFor(l->holder->tid, EventKind::kLockHeldAtFrameEnd, l->id, FrameRaised(frame) ? kFlagRaised : 0, 0,
              rec.CaptureStackFrom(frame, l->holder));
}

// Frame objects a held lock was acquired in, with those locks; borrowed. An entry goes
// when its frame is freed or its locks let go of it. On the heap: frames are freed
// after static destructors have run.
std::unordered_map<PyObject*, std::vector<LockObject*>>& Watched() {
  static auto* watched = new std::unordered_map<PyObject*, std::vector<LockObject*>>();
  return *watched;
}

destructor g_frame_dealloc = nullptr;

void Unwatch(LockObject* l) {
  auto it = Watched().find(l->acquire_frame);
  if (it != Watched().end()) {
    std::vector<LockObject*>& locks = it->second;
    for (size_t i = 0; i < locks.size(); ++i) {
      if (locks[i] == l) {
        locks.erase(locks.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
    }
    if (locks.empty()) Watched().erase(it);
  }
  l->acquire_frame = nullptr;
}

// Frames are freed in bounded C stack by the trashcan (a frame frees its f_back), but
// only while frame_dealloc is their type's tp_dealloc (Py_TRASHCAN_BEGIN compares); in
// its place this one must.
void FrameDeallocHook(PyObject* op) {
  PyObject_GC_UnTrack(op);
  Py_TRASHCAN_BEGIN(op, FrameDeallocHook)
  auto it = Watched().empty() ? Watched().end() : Watched().find(op);
  if (it != Watched().end()) {
    std::vector<LockObject*> locks = std::move(it->second);
    Watched().erase(it);
    // Reporting reads code objects and line tables, which must not disturb an
    // exception being raised past this frame.
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    for (LockObject* l : locks) {
      l->acquire_frame = nullptr;
      if (!l->frame_end_reported && l->holder != nullptr && Recorder::Get().recording()) {
        ReportFrameEnd(l, reinterpret_cast<PyFrameObject*>(op));
      }
    }
    PyErr_Restore(type, value, tb);
  }
  g_frame_dealloc(op);
  Py_TRASHCAN_END
}
#if PY_VERSION_HEX >= 0x030B0000
// The opcode ending the code the compiler makes of expression src: `x` ends in
// RETURN_VALUE, `None` in RETURN_CONST where the version has it. Read off compiled code
// rather than dis.opmap: importing dis would put dis and opcode into every program's
// sys.modules.
int ReturnOpcodeOf(const char* src) {
  PyObject* code = Py_CompileString(src, "<pyrace>", Py_eval_input);
  PyObject* bytes = code != nullptr ? PyCode_GetCode(reinterpret_cast<PyCodeObject*>(code)) : nullptr;
  Py_XDECREF(code);
  if (bytes == nullptr) return -1;
  Py_ssize_t n = PyBytes_GET_SIZE(bytes);
  int op = n >= 2 ? static_cast<unsigned char>(PyBytes_AS_STRING(bytes)[n - 2]) : -1;
  Py_DECREF(bytes);
  return op;
}
#endif

}  // namespace

void WatchAcquireFrame(LockObject* l, PyObject* frame) {
  if (l->acquire_frame == frame) return;
  if (l->acquire_frame != nullptr) Unwatch(l);
  if (frame == nullptr) return;
  if (g_frame_dealloc == nullptr) {
    g_frame_dealloc = PyFrame_Type.tp_dealloc;
    PyFrame_Type.tp_dealloc = &FrameDeallocHook;
  }
  Watched()[frame].push_back(l);
  l->acquire_frame = frame;
}

bool InitFrameEnd() {
#if PY_VERSION_HEX >= 0x030B0000
  g_return_ops[0] = ReturnOpcodeOf("x");
  g_return_ops[1] = ReturnOpcodeOf("None");
  return !PyErr_Occurred() && g_return_ops[0] >= 0;
#else
  return true;
#endif
}

void CheckFrameEnd(LockObject* l, bool holder_gone) {
  if (l->acquire_frame == nullptr || l->frame_end_reported || l->holder == nullptr) return;
  Recorder& rec = Recorder::Get();
  auto* frame = reinterpret_cast<PyFrameObject*>(l->acquire_frame);
  if (!rec.recording()) {
    // Nothing to report into (no trace, exit, forked child), and threads ended by
    // finalization leave thread states that must not be looked at; an ended thread's
    // frames are still let go.
    if (holder_gone) WatchAcquireFrame(l, nullptr);
    return;
  }
  if (!holder_gone && !FrameFinished(frame, l->holder)) return;
  ReportFrameEnd(l, frame);
  WatchAcquireFrame(l, nullptr);  // it has told what it knows
}

void CheckHeldLocksAtThreadEnd(ThreadRec* t) {
  // Copy: dropping a frame can free a lock, which edits t->held.
  std::vector<LockObject*> held = t->held;
  for (LockObject* l : held) Py_INCREF(l);
  for (LockObject* l : held) {
    if (l->holder == t) CheckFrameEnd(l, /*holder_gone=*/true);
  }
  for (LockObject* l : held) Py_DECREF(l);
}

}  // namespace pyrace::py
