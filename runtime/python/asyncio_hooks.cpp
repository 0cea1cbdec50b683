#include "runtime/python/asyncio_hooks.h"

#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/analysis/loop_watch.h"
#include "runtime/analysis/wait_for.h"
#include "runtime/python/access_hooks.h"
#include "runtime/python/import_hook.h"
#include "runtime/python/runtime_thread.h"
#include "runtime/python/stack_depot.h"
#include "runtime/python/stand_in.h"
#include "runtime/python/threads.h"
#include "runtime/trace/trace.h"

namespace pyrace::py {

#if PY_VERSION_HEX >= 0x030B0000

namespace {

// --- small helpers ------------------------------------------------------------------

std::string Str(PyObject* o) {
  if (o == nullptr) return "";
  PyObject* s = PyObject_Str(o);
  if (s == nullptr) {
    PyErr_Clear();
    return "";
  }
  Py_ssize_t n = 0;
  const char* c = PyUnicode_AsUTF8AndSize(s, &n);
  std::string out = c != nullptr ? std::string(c, static_cast<size_t>(n)) : std::string();
  Py_DECREF(s);
  PyErr_Clear();
  return out;
}

// len(obj.name); -1 when it cannot be read.
Py_ssize_t LenOfAttr(PyObject* obj, const char* name) {
  PyObject* v = PyObject_GetAttrString(obj, name);
  if (v == nullptr) {
    PyErr_Clear();
    return -1;
  }
  Py_ssize_t n = v == Py_None ? 0 : PyObject_Length(v);
  Py_DECREF(v);
  if (n < 0) PyErr_Clear();
  return n;
}

// --- what was replaced, and the asyncio objects the hooks use -------------------------

PyObject* g_orig_handle_run = nullptr;
PyObject* g_orig_run_forever = nullptr;
PyObject* g_orig_call_soon_threadsafe = nullptr;
PyObject* g_current_task = nullptr;  // asyncio.tasks.current_task
PyObject* g_all_tasks = nullptr;     // asyncio.tasks.all_tasks
PyObject* g_task_types = nullptr;    // tuple: asyncio.Task and the pure-Python one
PyObject* g_locked_name = nullptr;   // "_locked"
// Names looked up on every step, interned once.
PyObject* g_callback_name = nullptr;  // "_callback"
PyObject* g_self_name = nullptr;      // "__self__"
PyObject* g_done_name = nullptr;      // "done"
bool g_race_mode = false;             // option detect has races: task steps are recorded
PyObject* g_getsignal = nullptr;     // signal.getsignal
PyObject* g_default_int_handler = nullptr;
int g_nsig = 65;

// --- objects with ids: tasks and asyncio locks, keyed by address ---------------------
// An entry goes when its object dies (a weakref callback), so an address reused by a
// new object never inherits an old id.

struct Tracked {
  uint64_t id = 0;
  PyObject* weakref = nullptr;
};

std::unordered_map<uintptr_t, Tracked> g_task_tids;
std::unordered_map<uintptr_t, Tracked> g_async_locks;

PyObject* ForgetTask(PyObject* key, PyObject*) {
  auto it = g_task_tids.find(static_cast<uintptr_t>(PyLong_AsUnsignedLongLong(key)));
  if (it != g_task_tids.end()) {
    Py_XDECREF(it->second.weakref);
    g_task_tids.erase(it);
  }
  Py_RETURN_NONE;
}

PyObject* ForgetLock(PyObject* key, PyObject*) {
  auto it = g_async_locks.find(static_cast<uintptr_t>(PyLong_AsUnsignedLongLong(key)));
  if (it != g_async_locks.end()) {
    Py_XDECREF(it->second.weakref);
    g_async_locks.erase(it);
  }
  Py_RETURN_NONE;
}

PyMethodDef g_forget_task_def = {"_forget_task", ForgetTask, METH_O, nullptr};
PyMethodDef g_forget_lock_def = {"_forget_lock", ForgetLock, METH_O, nullptr};

// A weak reference to obj whose callback erases its entry; null (no error) when obj
// has no weakref support, then the entry lives as long as the run.
PyObject* WatchLifetime(PyObject* obj, PyMethodDef* def) {
  PyObject* key = PyLong_FromUnsignedLongLong(reinterpret_cast<uintptr_t>(obj));
  PyObject* cb = key != nullptr ? PyCFunction_New(def, key) : nullptr;
  Py_XDECREF(key);
  PyObject* ref = cb != nullptr ? PyWeakref_NewRef(obj, cb) : nullptr;
  Py_XDECREF(cb);
  if (ref == nullptr) PyErr_Clear();
  return ref;
}

bool IsTask(PyObject* o) {
  if (o == nullptr || o == Py_None || g_task_types == nullptr) return false;
  for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(g_task_types); ++i) {
    if (Py_TYPE(o) == reinterpret_cast<PyTypeObject*>(PyTuple_GET_ITEM(g_task_types, i))) return true;
  }
  int r = PyObject_IsInstance(o, g_task_types);
  if (r < 0) PyErr_Clear();
  return r > 0;
}

// "Task-3 (worker)": the task's name and its coroutine's.
std::string TaskName(PyObject* task) {
  PyObject* name = PyObject_CallMethod(task, "get_name", nullptr);
  std::string out = name != nullptr ? Str(name) : "Task";
  Py_XDECREF(name);
  PyErr_Clear();
  PyObject* coro = PyObject_CallMethod(task, "get_coro", nullptr);
  PyObject* qual = coro != nullptr && coro != Py_None ? PyObject_GetAttrString(coro, "__qualname__") : nullptr;
  if (qual != nullptr) out += " (" + Str(qual) + ")";
  Py_XDECREF(qual);
  Py_XDECREF(coro);
  PyErr_Clear();
  return out;
}

// The task's Tid, defined as a thread started by `parent` (its loop's thread) the first
// time it is needed.
Tid TaskTid(Recorder& rec, PyObject* task, Tid parent) {
  auto key = reinterpret_cast<uintptr_t>(task);
  auto it = g_task_tids.find(key);
  if (it != g_task_tids.end()) return static_cast<Tid>(it->second.id);
  std::string name = TaskName(task);
  ThreadRec* t = rec.threads().Create(name, /*daemon=*/true);
  t->parent = parent;
  if (rec.recording()) {
    ThreadInfo info;
    info.name = rec.InternString(name);
    info.parent = parent;
    rec.writer()->DefineThread(t->tid, info);
    rec.EmitFor(parent, EventKind::kThreadStart, t->tid);
  }
  g_task_tids[key] = Tracked{t->tid, WatchLifetime(task, &g_forget_task_def)};
  return t->tid;
}

// The task running on this thread now, or null (a plain callback, no loop).
PyObject* CurrentTask(PyObject* loop) {
  PyObject* t = loop != nullptr ? PyObject_CallOneArg(g_current_task, loop) : PyObject_CallNoArgs(g_current_task);
  if (t == nullptr) PyErr_Clear();
  if (t == Py_None) Py_CLEAR(t);
  return t;
}

// --- per loop thread: the running step -----------------------------------------------
// Written by the loop's thread under the GIL; the watcher reads seq and start_us
// without it to decide when to take it.

struct LoopThread {
  Tid tid = 0;
  PyThreadState* tstate = nullptr;
  std::atomic<uint64_t> seq{0};       // steps begun
  std::atomic<uint64_t> start_us{0};  // running step's start + 1; 0 between steps
  std::atomic<uint64_t> sampled_seq{0};
  std::atomic<bool> paused{false};    // in pyrace's own work inside the step (LoopStepPause)
  PyObject* handle = nullptr;         // the running step's Handle (borrowed; GIL)
  uint64_t running_task = 0;          // race mode: the last kTaskStep's obj (GIL)
};

constexpr size_t kMaxLoopThreads = 64;
std::array<std::atomic<LoopThread*>, kMaxLoopThreads> g_loop_threads{};
std::atomic<size_t> g_loop_thread_count{0};
thread_local LoopThread* t_loop_thread = nullptr;

LoopThread* CurrentLoopThread(Recorder& rec) {
  if (t_loop_thread != nullptr) return t_loop_thread;
  auto* lt = new LoopThread();  // never freed: the watcher may read it at any time
  lt->tid = rec.CurrentTid();
  lt->tstate = PyThreadState_Get();
  size_t n = g_loop_thread_count.load();
  if (n < kMaxLoopThreads) {
    g_loop_threads[n].store(lt);
    g_loop_thread_count.store(n + 1);
  }
  t_loop_thread = lt;
  return lt;
}

// --- running loops --------------------------------------------------------------------

struct LoopRec {
  PyObject* loop = nullptr;  // strong while run_forever runs
  LoopThread* thread = nullptr;
  SyncId id = 0;
  uint64_t idle_seq = UINT64_MAX;  // the step count when it was first seen idle
  uint64_t idle_since_us = 0;
  bool idle = false;               // at the last watchdog check
};
std::vector<LoopRec> g_loops;

// --- hand-offs from other threads (call_soon_threadsafe) ------------------------------

// Handle -> its send (Tracked::id). A handle that never runs (cancelled, or its loop
// closed) leaves when it is freed, so its address cannot pass the send to a later handle.
std::unordered_map<uintptr_t, Tracked> g_threadsafe;

PyObject* ForgetThreadsafe(PyObject* key, PyObject*) {
  auto it = g_threadsafe.find(static_cast<uintptr_t>(PyLong_AsUnsignedLongLong(key)));
  if (it != g_threadsafe.end()) {
    Py_XDECREF(it->second.weakref);
    g_threadsafe.erase(it);
  }
  Py_RETURN_NONE;
}
PyMethodDef g_forget_threadsafe_def = {"_forget_threadsafe_handle", ForgetThreadsafe, METH_O, nullptr};
std::vector<SyncId> g_inflight;  // sends whose call_soon_threadsafe has not returned yet

void ReceiveHandoffs(Recorder& rec, PyObject* handle) {
  auto it = g_threadsafe.find(reinterpret_cast<uintptr_t>(handle));
  if (it != g_threadsafe.end()) {
    rec.Emit(EventKind::kHandoffRecv, it->second.id);
    Py_XDECREF(it->second.weakref);
    g_threadsafe.erase(it);
  }
  // The handle is queued before call_soon_threadsafe returns, and the GIL may pass to
  // the loop in between: until the call returns, any step may be the one it queued.
  for (SyncId s : g_inflight) rec.Emit(EventKind::kHandoffRecv, s);
}

// --- the loop watcher thread ----------------------------------------------------------

RuntimeThread g_watcher;
bool g_watcher_running = false;
bool g_watcher_disabled = false;  // stopped for good (exit) or a forked child
bool g_watcher_paused = false;    // stopped for a fork, to run again after it
std::atomic<bool> g_watcher_stop{false};
pthread_mutex_t g_watch_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t g_watch_cv;

uint64_t ThresholdUs(const Recorder& rec) {
  int ms = rec.options().loop_block_ms;
  return ms > 0 ? static_cast<uint64_t>(ms) * 1000 : 0;
}

PyObject* StepTask(PyObject* handle);

// Under the GIL, the step still running: the loop thread's stack as it blocks.
void Sample(Recorder& rec, LoopThread* lt, uint64_t seq, uint64_t now_us) {
  if (lt->seq.load() != seq || lt->start_us.load() == 0 || lt->handle == nullptr || lt->paused.load()) return;
  SavedError saved;
  uint64_t start = lt->start_us.load() - 1;
  PyFrameObject* top = PyThreadState_GetFrame(lt->tstate);
  StackId stack = rec.CaptureStackFrom(top);
  Py_XDECREF(top);
  PyObject* loop = PyObject_GetAttrString(lt->handle, "_loop");
  PyErr_Clear();
  PyObject* task = loop != nullptr ? CurrentTask(loop) : nullptr;
  if (task == nullptr) task = StepTask(lt->handle);
  Tid task_tid = task != nullptr ? TaskTid(rec, task, lt->tid) : kNoTid;
  Py_XDECREF(task);
  Py_XDECREF(loop);
  uint64_t ms = (now_us - start) / 1000;
  rec.EmitFor(lt->tid, EventKind::kLoopBlocked, task_tid, 0, static_cast<uint16_t>(std::min<uint64_t>(ms, 65535)),
              stack);
  lt->sampled_seq.store(seq);
  rec.Flush();  // a step that never returns may end in a SIGKILL
}

void* WatcherMain(void*) {
  Recorder& rec = Recorder::Get();
  constexpr uint64_t kPeriodUs = 100000;
  pthread_mutex_lock(&g_watch_mu);
  while (!g_watcher_stop.load()) {
    uint64_t threshold = ThresholdUs(rec);
    uint64_t now = rec.NowUs();
    uint64_t next = now + kPeriodUs;
    size_t n = std::min(g_loop_thread_count.load(), kMaxLoopThreads);
    for (size_t i = 0; i < n; ++i) {
      LoopThread* lt = g_loop_threads[i].load();
      if (lt == nullptr) continue;
      loop_watch::Step s;
      s.seq = lt->seq.load();
      uint64_t start = lt->start_us.load();
      s.running = start != 0;
      s.start_us = start != 0 ? start - 1 : 0;
      // A paused step (pyrace's own work) counts as sampled until it resumes.
      s.sampled = lt->sampled_seq.load() == s.seq || lt->paused.load();
      if (loop_watch::ShouldSample(s, now, threshold)) {
        pthread_mutex_unlock(&g_watch_mu);
        PyGILState_STATE gil = PyGILState_Ensure();
        if (!g_watcher_stop.load() && !IsFinalizing()) Sample(rec, lt, s.seq, rec.NowUs());
        PyGILState_Release(gil);
        pthread_mutex_lock(&g_watch_mu);
        s.sampled = true;
      }
      next = std::min(next, loop_watch::NextLook(s, now, threshold, kPeriodUs));
    }
    if (g_watcher_stop.load()) break;
    uint64_t wait_us = next > rec.NowUs() ? next - rec.NowUs() : 1000;
    timespec deadline{};
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_nsec += static_cast<long>(std::max<uint64_t>(wait_us, 1000) * 1000);
    deadline.tv_sec += deadline.tv_nsec / 1000000000L;
    deadline.tv_nsec %= 1000000000L;
    int rc = 0;
    while (!g_watcher_stop.load() && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&g_watch_cv, &g_watch_mu, &deadline);
  }
  pthread_mutex_unlock(&g_watch_mu);
  return nullptr;
}

void StartLoopWatcher(Recorder& rec) {
  RuntimeThreadsGuard guard;  // two loops' threads may start it at once
  if (g_watcher_running || g_watcher_disabled || !rec.recording() || ThresholdUs(rec) == 0) return;
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&g_watch_cv, &attr);
  pthread_condattr_destroy(&attr);
  g_watcher_stop.store(false);
  g_watcher_running = StartRuntimeThread(g_watcher, WatcherMain, PythonAccess::kWithThreadState);
}

// --- the wrappers ---------------------------------------------------------------------

// What a callback is bound to, found without running any of the program's code (a
// callable object's own __getattr__ or __getattribute__ would see the lookup): a bound
// method's or builtin method's self, or what a C type's `__self__` getset gives (3.11's
// TaskStepMethWrapper). New reference or nullptr.
PyObject* CallbackSelf(PyObject* cb) {
  if (PyObject* self = BoundSelf(cb)) return Py_NewRef(self);
  if (PyCFunction_Check(cb)) return nullptr;  // a builtin bound to nothing (METH_STATIC)
  PyObject* d = _PyType_Lookup(Py_TYPE(cb), g_self_name);  // borrowed; runs nothing
  if (d == nullptr || Py_TYPE(d) != &PyGetSetDescr_Type) return nullptr;
  PyObject* self = Py_TYPE(d)->tp_descr_get(d, cb, reinterpret_cast<PyObject*>(Py_TYPE(cb)));
  if (self == nullptr) PyErr_Clear();
  return self;
}

// The task a step belongs to: a task's step and wakeup callbacks are its bound methods.
PyObject* StepTask(PyObject* handle) {
  PyObject* cb = PyObject_GetAttr(handle, g_callback_name);
  PyObject* self = cb != nullptr && cb != Py_None ? CallbackSelf(cb) : nullptr;
  Py_XDECREF(cb);
  PyErr_Clear();
  if (!IsTask(self)) Py_CLEAR(self);
  return self;
}

// A task with a Tid that is done ends as a thread does (its asyncio locks still held
// are then missed releases).
void NoteTaskEnd(Recorder& rec, PyObject* task) {
  auto it = g_task_tids.find(reinterpret_cast<uintptr_t>(task));
  if (it != g_task_tids.end()) {
    PyObject* done = PyObject_CallMethodNoArgs(task, g_done_name);
    if (done == Py_True) {
      rec.EmitFor(static_cast<Tid>(it->second.id), EventKind::kThreadExit, 0);
      Py_XDECREF(it->second.weakref);
      g_task_tids.erase(it);
    }
    Py_XDECREF(done);
    PyErr_Clear();
  }
}

// --- race mode: which task each step belongs to ---------------------------------------
// Tasks get numbers of their own, not Tids: every task of a program is numbered, and a
// Tid each would give the happens-before clocks a component per task. The number
// (with the task's name) goes into kTaskStep when the running task of a loop's thread
// changes; the entry and its number go when the task is freed.

struct TaskNumber {
  uint64_t obj = 0;  // number | name StrId << 32, as kTaskStep carries it
  PyObject* weakref = nullptr;
};
std::unordered_map<uintptr_t, TaskNumber> g_task_numbers;
uint32_t g_last_task_number = 0;

PyObject* ForgetTaskNumber(PyObject* key, PyObject*) {
  auto it = g_task_numbers.find(static_cast<uintptr_t>(PyLong_AsUnsignedLongLong(key)));
  if (it != g_task_numbers.end()) {
    Recorder& rec = Recorder::Get();
    if (rec.recording() && !IsFinalizing()) rec.Emit(EventKind::kTaskStep, it->second.obj, kFlagTaskGone);
    for (size_t i = 0; i < std::min(g_loop_thread_count.load(), kMaxLoopThreads); ++i) {
      LoopThread* lt = g_loop_threads[i].load();
      if (lt != nullptr && lt->running_task == it->second.obj) lt->running_task = 0;
    }
    Py_XDECREF(it->second.weakref);
    g_task_numbers.erase(it);
  }
  Py_RETURN_NONE;
}
PyMethodDef g_forget_task_number_def = {"_forget_task_number", ForgetTaskNumber, METH_O, nullptr};

uint64_t TaskNumberOf(Recorder& rec, PyObject* task) {
  auto key = reinterpret_cast<uintptr_t>(task);
  auto it = g_task_numbers.find(key);
  if (it != g_task_numbers.end()) return it->second.obj;
  SavedError saved;
  uint64_t obj = ++g_last_task_number | uint64_t{rec.InternString(TaskName(task))} << 32;
  g_task_numbers[key] = TaskNumber{obj, WatchLifetime(task, &g_forget_task_number_def)};
  return obj;
}

// The step about to run belongs to `task` (null: to no task): tell the race analysis
// when that changes what runs on this thread.
void NoteRunning(Recorder& rec, LoopThread* lt, PyObject* task) {
  uint64_t obj = task != nullptr ? TaskNumberOf(rec, task) : 0;
  if (obj == lt->running_task) return;
  lt->running_task = obj;
  rec.EmitFor(lt->tid, EventKind::kTaskStep, obj);
}

// The code a step ran when no frame of it is left (its task's coroutine returned in the
// step, or it was a plain callback): a coroutine's or generator's own, or a Python
// function's (bound or not) that the handle calls. Borrowed from `of`, or null. Only the
// interpreter's own types are looked into, so no code of the program runs.
PyObject* StepCode(PyObject* of) {
  if (of == nullptr) return nullptr;
  if (PyMethod_Check(of)) of = PyMethod_GET_FUNCTION(of);
  if (PyFunction_Check(of)) return PyFunction_GET_CODE(of);
  if (PyCoro_CheckExact(of) || PyGen_CheckExact(of)) {
    PyObject* code = PyObject_GetAttrString(of, PyCoro_CheckExact(of) ? "cr_code" : "gi_code");
    Py_XDECREF(code);  // the coroutine keeps it
    PyErr_Clear();
    return code != nullptr && PyCode_Check(code) ? code : nullptr;
  }
  return nullptr;
}

// A one-frame stack at the first line of `code` (a PyCodeObject, or null: kNoStack).
StackId CodeStack(Recorder& rec, PyObject* code) {
  if (code == nullptr) return kNoStack;
  auto* c = reinterpret_cast<PyCodeObject*>(code);
  Frame f;
  f.file = rec.InternString(Str(c->co_filename));
  f.function = rec.InternString(Str(CodeQualName(c)));
  f.line = static_cast<uint32_t>(std::max(0, c->co_firstlineno));
  return rec.depot().DefineFrames({f});
}

// A step that overran but ended before the watcher could take the GIL (a C call that
// never let it go; every step of a forked child, which has no watcher): reported with
// where its task stands now, or, when nothing of it is left to stand anywhere, at the
// start of the code it ran.
void ReportUnsampled(Recorder& rec, LoopThread* lt, PyObject* handle, uint64_t start, uint64_t end) {
  PyObject* task = StepTask(handle);
  Tid task_tid = kNoTid;
  StackId stack = kNoStack;
  if (task != nullptr) {
    task_tid = TaskTid(rec, task, lt->tid);
    PyObject* coro = PyObject_CallMethod(task, "get_coro", nullptr);
    PyObject* frame = coro != nullptr && coro != Py_None ? PyObject_GetAttrString(coro, "cr_frame") : nullptr;
    if (frame != nullptr && PyFrame_Check(frame)) stack = rec.CaptureStackFrom(reinterpret_cast<PyFrameObject*>(frame));
    else stack = CodeStack(rec, StepCode(coro));
    Py_XDECREF(frame);
    Py_XDECREF(coro);
    PyErr_Clear();
    Py_DECREF(task);
  } else {
    PyObject* cb = PyObject_GetAttr(handle, g_callback_name);
    PyErr_Clear();
    stack = CodeStack(rec, StepCode(cb));
    Py_XDECREF(cb);
  }
  uint64_t ms = (end - start) / 1000;
  rec.EmitFor(lt->tid, EventKind::kLoopBlocked, task_tid, 0, static_cast<uint16_t>(std::min<uint64_t>(ms, 65535)),
              stack);
}

}  // namespace

// The watcher does not sample a paused step; afterwards the step's start moves later by
// the pause, and the watcher and HandleRun both measure from it.
LoopStepPause::LoopStepPause() {
  LoopThread* lt = t_loop_thread;
  if (lt == nullptr || lt->paused.load(std::memory_order_relaxed)) return;  // nested: the outer one counts
  saved_start_ = lt->start_us.load(std::memory_order_relaxed);
  if (saved_start_ == 0) return;
  paused_at_ = Recorder::Get().NowUs();
  lt->paused.store(true, std::memory_order_release);
}

LoopStepPause::~LoopStepPause() {
  if (saved_start_ == 0) return;
  LoopThread* lt = t_loop_thread;
  const uint64_t now = Recorder::Get().NowUs();
  // The step is the one paused: HandleRun restores an outer step's start only on return.
  if (lt->start_us.load(std::memory_order_relaxed) == saved_start_) {
    lt->start_us.store(saved_start_ + (now > paused_at_ ? now - paused_at_ : 0), std::memory_order_release);
  }
  lt->paused.store(false, std::memory_order_release);
}

namespace {

PyObject* HandleRun(PyObject* handle, PyObject*) {
  Recorder& rec = Recorder::Get();
  if (!rec.recording()) return PyObject_CallOneArg(g_orig_handle_run, handle);
  LoopThread* lt = CurrentLoopThread(rec);
  PyObject* outer_handle = lt->handle;
  uint64_t outer_start = lt->start_us.load(std::memory_order_relaxed);
  uint64_t seq = lt->seq.load(std::memory_order_relaxed) + 1;
  uint64_t start = rec.NowUs();
  lt->handle = handle;
  lt->seq.store(seq, std::memory_order_relaxed);
  lt->start_us.store(start + 1, std::memory_order_release);
  if (!g_threadsafe.empty() || !g_inflight.empty()) ReceiveHandoffs(rec, handle);
  PyObject* task = nullptr;  // the step's task, when something below needs it
  bool looked = g_race_mode || !g_task_tids.empty();
  if (looked) {
    SavedError saved;
    task = StepTask(handle);
    if (g_race_mode) NoteRunning(rec, lt, task);
  }
  PyObject* result = PyObject_CallOneArg(g_orig_handle_run, handle);
  uint64_t end = rec.NowUs();
  start = lt->start_us.load(std::memory_order_relaxed) - 1;  // later by a LoopStepPause
  if (end < start) end = start;
  bool sampled = lt->sampled_seq.load() == seq;
  uint64_t threshold = ThresholdUs(rec);
  if (sampled || !g_task_tids.empty() || (threshold != 0 && end - start >= threshold)) {
    SavedError saved;
    // Its first asyncio lock may have given the task a Tid during this very step.
    if (!looked && !g_task_tids.empty()) task = StepTask(handle);
    if (!sampled && threshold != 0 && end - start >= threshold) {
      ReportUnsampled(rec, lt, handle, start, end);
      sampled = true;
    }
    if (sampled) rec.EmitFor(lt->tid, EventKind::kLoopStepEnd, end - start);
    if (!g_task_tids.empty() && task != nullptr) NoteTaskEnd(rec, task);
  }
  Py_XDECREF(task);
  lt->handle = outer_handle;
  lt->start_us.store(outer_start, std::memory_order_release);
  return result;
}

PyObject* RunForever(PyObject*, PyObject* loop) {
  Recorder& rec = Recorder::Get();
  LoopThread* lt = CurrentLoopThread(rec);
  g_loops.push_back(LoopRec{Py_NewRef(loop), lt, rec.NextSyncId()});
  StartLoopWatcher(rec);
  if (g_race_mode) pyrace_access_tasks_interleave();
  PyObject* result = PyObject_CallOneArg(g_orig_run_forever, loop);
  if (g_race_mode && rec.recording()) {
    SavedError saved;
    NoteRunning(rec, lt, nullptr);  // what follows on this thread is no task's
  }
  for (auto it = g_loops.begin(); it != g_loops.end(); ++it) {
    if (it->loop == loop && it->thread == lt) {
      PyObject* l = it->loop;
      g_loops.erase(it);
      Py_DECREF(l);
      break;
    }
  }
  return result;
}

PyObject* CallSoonThreadsafe(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  Recorder& rec = Recorder::Get();
  if (!rec.recording()) return PyObject_Vectorcall(g_orig_call_soon_threadsafe, args, nargs, kwnames);
  SyncId sync = rec.NextSyncId();
  rec.Emit(EventKind::kHandoffSend, sync, 0, 0, rec.CaptureStack());
  g_inflight.push_back(sync);
  PyObject* handle = PyObject_Vectorcall(g_orig_call_soon_threadsafe, args, nargs, kwnames);
  g_inflight.erase(std::find(g_inflight.begin(), g_inflight.end(), sync));
  if (handle != nullptr) {
    SavedError saved;
    Tracked& t = g_threadsafe[reinterpret_cast<uintptr_t>(handle)];
    Py_XDECREF(t.weakref);  // an entry of a handle without weakref support at this address
    t = Tracked{sync, WatchLifetime(handle, &g_forget_threadsafe_def)};
  }
  return handle;
}

PyMethodDef g_handle_run_def = {"_run", HandleRun, METH_NOARGS, nullptr};
PyMethodDef g_run_forever_def = {"run_forever", RunForever, METH_O, nullptr};
PyMethodDef g_call_soon_threadsafe_def = {"call_soon_threadsafe", AsPyCFunction(CallSoonThreadsafe),
                                          METH_FASTCALL | METH_KEYWORDS, nullptr};

// --- asyncio.Lock._locked -------------------------------------------------------------

// The lock's id, defined (LockCreate, as a plain Lock: any task may release it) on first
// sight: in __init__ for locks made after the hooks, at first use for older ones.
LockId AsyncLockId(Recorder& rec, PyObject* lock) {
  auto key = reinterpret_cast<uintptr_t>(lock);
  auto it = g_async_locks.find(key);
  if (it != g_async_locks.end()) return static_cast<LockId>(it->second.id);
  LockId id = rec.NextLockId();
  rec.Emit(EventKind::kLockCreate, id, 0, static_cast<uint16_t>(LockKind::kLock), rec.CaptureStack());
  g_async_locks[key] = Tracked{id, WatchLifetime(lock, &g_forget_lock_def)};
  return id;
}

// Who takes or gives back the lock: the running task, else the thread.
Tid OwnerNow(Recorder& rec) {
  PyObject* task = CurrentTask(nullptr);
  Tid tid = task != nullptr ? TaskTid(rec, task, rec.CurrentTid()) : rec.CurrentTid();
  Py_XDECREF(task);
  return tid;
}

void RecordLockedChange(PyObject* lock, PyObject* old_value, PyObject* new_value) {
  Recorder& rec = Recorder::Get();
  if (!rec.recording()) return;
  SavedError saved;
  int was = old_value != nullptr ? PyObject_IsTrue(old_value) : 0;
  int now = new_value != nullptr ? PyObject_IsTrue(new_value) : 0;
  PyErr_Clear();
  LockId id = AsyncLockId(rec, lock);
  if (was <= 0 && now > 0) {
    StackId stack = rec.CaptureStack();
    rec.EmitFor(OwnerNow(rec), EventKind::kLockAcquired, id, 0, 0, stack);
  } else if (was > 0 && now <= 0) {
    StackId stack = rec.CaptureStack();
    rec.EmitFor(OwnerNow(rec), EventKind::kLockRelease, id, 0, 0, stack);
  }
}

PyObject* InstanceDict(PyObject* obj) {
  PyObject* d = PyObject_GenericGetDict(obj, nullptr);
  if (d != nullptr && !PyDict_Check(d)) {
    Py_DECREF(d);
    PyErr_SetString(PyExc_TypeError, "instance __dict__ is not a dict");
    return nullptr;
  }
  return d;
}

PyObject* LockedGet(PyObject* self, PyObject* obj, PyObject*) {
  if (obj == nullptr || obj == Py_None) return Py_NewRef(self);
  PyObject* d = InstanceDict(obj);
  if (d == nullptr) return nullptr;
  PyObject* v = PyDict_GetItemWithError(d, g_locked_name);
  Py_XINCREF(v);
  Py_DECREF(d);
  if (v == nullptr && !PyErr_Occurred()) {
    PyErr_Format(PyExc_AttributeError, "'%.100s' object has no attribute '_locked'", Py_TYPE(obj)->tp_name);
  }
  return v;
}

int LockedSet(PyObject*, PyObject* obj, PyObject* value) {
  PyObject* d = InstanceDict(obj);
  if (d == nullptr) return -1;
  PyObject* old = PyDict_GetItemWithError(d, g_locked_name);
  if (old == nullptr && PyErr_Occurred()) {
    Py_DECREF(d);
    return -1;
  }
  Py_XINCREF(old);
  int rc = 0;
  if (value == nullptr) {
    rc = old == nullptr ? -1 : PyDict_DelItem(d, g_locked_name);
    if (old == nullptr) {
      PyErr_Format(PyExc_AttributeError, "'%.100s' object has no attribute '_locked'", Py_TYPE(obj)->tp_name);
    }
  } else {
    rc = PyDict_SetItem(d, g_locked_name, value);
  }
  Py_DECREF(d);
  if (rc == 0) RecordLockedChange(obj, old, value);
  Py_XDECREF(old);
  return rc;
}

PyType_Slot g_locked_attr_slots[] = {
    {Py_tp_descr_get, reinterpret_cast<void*>(LockedGet)},
    {Py_tp_descr_set, reinterpret_cast<void*>(LockedSet)},
    {Py_tp_doc, const_cast<char*>("asyncio.Lock._locked, recorded by pyrace")},
    {0, nullptr},
};
PyType_Spec g_locked_attr_spec = {"_pyrace.AsyncioLockedAttr", sizeof(PyObject), 0, Py_TPFLAGS_DEFAULT,
                                  g_locked_attr_slots};

// --- reading a loop (watchdog, GIL) ---------------------------------------------------

// asyncio.Runner's SIGINT handler (a partial of Runner._on_sigint) cancels the main task
// on Ctrl-C, as the default handler would end the run: neither is a wake-up the
// program waits for.
bool IsRunnerSigint(PyObject* h) {
  PyObject* func = PyObject_GetAttrString(h, "func");
  PyObject* qual = func != nullptr ? PyObject_GetAttrString(func, "__qualname__") : nullptr;
  bool runner = qual != nullptr && Str(qual) == "Runner._on_sigint";
  Py_XDECREF(qual);
  Py_XDECREF(func);
  PyErr_Clear();
  return runner;
}

// Python-level signal handlers the program installed (any may call
// call_soon_threadsafe); the default SIGINT handler ends the run instead.
size_t ProgramSignalHandlers() {
  if (g_getsignal == nullptr) return 0;
  size_t n = 0;
  for (int sig = 1; sig < g_nsig; ++sig) {
    PyObject* num = PyLong_FromLong(sig);
    PyObject* h = num != nullptr ? PyObject_CallOneArg(g_getsignal, num) : nullptr;
    Py_XDECREF(num);
    if (h == nullptr) {
      PyErr_Clear();
      continue;
    }
    if (PyCallable_Check(h) && h != g_default_int_handler && !IsRunnerSigint(h)) ++n;
    Py_DECREF(h);
  }
  return n;
}

PyObject* PendingTasks(PyObject* loop) {
  PyObject* tasks = PyObject_CallOneArg(g_all_tasks, loop);
  if (tasks == nullptr) return nullptr;
  PyObject* list = PySequence_List(tasks);
  Py_DECREF(tasks);
  return list;
}

// What can still happen inside the loop. Anything unreadable counts as "something":
// the rule must never call a loop idle that is not.
loop_watch::LoopState ReadLoop(const LoopRec& l) {
  loop_watch::LoopState s;
  s.running = true;
  s.in_step = l.thread->start_us.load() != 0;
  s.ready = 1;
  if (s.in_step) return s;
  PyObject* stopping = PyObject_GetAttrString(l.loop, "_stopping");
  s.stopping = stopping == nullptr || PyObject_IsTrue(stopping) != 0;
  Py_XDECREF(stopping);
  Py_ssize_t ready = LenOfAttr(l.loop, "_ready");
  Py_ssize_t timers = LenOfAttr(l.loop, "_scheduled");
  Py_ssize_t handlers = LenOfAttr(l.loop, "_signal_handlers");
  s.ready = ready < 0 ? 1 : static_cast<size_t>(ready);
  s.timers = timers < 0 ? 1 : static_cast<size_t>(timers);
  s.signal_handlers = (handlers < 0 ? 0 : static_cast<size_t>(handlers)) + ProgramSignalHandlers();
  PyObject* selector = PyObject_GetAttrString(l.loop, "_selector");
  PyObject* map = selector != nullptr ? PyObject_CallMethod(selector, "get_map", nullptr) : nullptr;
  Py_ssize_t fds = map != nullptr ? PyObject_Length(map) : -1;
  Py_XDECREF(map);
  Py_XDECREF(selector);
  PyObject* ssock = PyObject_GetAttrString(l.loop, "_ssock");
  bool self_pipe = ssock != nullptr && ssock != Py_None;
  Py_XDECREF(ssock);
  PyErr_Clear();
  s.io = fds < 0 ? 1 : static_cast<size_t>(fds) - (self_pipe && fds > 0 ? 1 : 0);
  PyObject* executor = PyObject_GetAttrString(l.loop, "_default_executor");
  if (executor != nullptr && executor != Py_None) {
    PyObject* q = PyObject_GetAttrString(executor, "_work_queue");
    PyObject* size = q != nullptr ? PyObject_CallMethod(q, "qsize", nullptr) : nullptr;
    long n = size != nullptr ? PyLong_AsLong(size) : 1;
    s.executor_jobs = n < 0 ? 1 : static_cast<size_t>(n);
    Py_XDECREF(size);
    Py_XDECREF(q);
  }
  Py_XDECREF(executor);
  PyErr_Clear();
  PyObject* tasks = PendingTasks(l.loop);
  s.pending_tasks = tasks != nullptr ? static_cast<size_t>(PyList_GET_SIZE(tasks)) : 1;
  Py_XDECREF(tasks);
  PyErr_Clear();
  return s;
}

const LoopRec* IdleLoopOf(Tid thread) {
  for (const LoopRec& l : g_loops) {
    if (l.idle && l.thread->tid == thread) return &l;
  }
  return nullptr;
}

// --- a task's await chain -------------------------------------------------------------

PyObject* AwaitedBy(PyObject* o, PyObject** frame) {
  static const char* const kFrames[] = {"cr_frame", "gi_frame", "ag_frame"};
  static const char* const kNext[] = {"cr_await", "gi_yieldfrom", "ag_await"};
  for (int k = 0; k < 3; ++k) {
    if (!PyObject_HasAttrString(o, kFrames[k])) continue;
    *frame = PyObject_GetAttrString(o, kFrames[k]);
    PyObject* next = PyObject_GetAttrString(o, kNext[k]);
    PyErr_Clear();
    return next;
  }
  *frame = nullptr;
  return nullptr;
}

struct Chain {
  std::vector<PyFrameObject*> frames;  // outermost first, strong
  ~Chain() {
    for (PyFrameObject* f : frames) Py_DECREF(f);
  }
};

void WalkChain(PyObject* task, Chain* chain) {
  PyObject* o = PyObject_CallMethod(task, "get_coro", nullptr);
  PyErr_Clear();
  for (int depth = 0; o != nullptr && o != Py_None && depth < 256; ++depth) {
    PyObject* frame = nullptr;
    PyObject* next = AwaitedBy(o, &frame);
    Py_DECREF(o);
    if (frame == nullptr || !PyFrame_Check(frame)) {
      Py_XDECREF(frame);
      Py_XDECREF(next);
      return;
    }
    chain->frames.push_back(reinterpret_cast<PyFrameObject*>(frame));
    o = next;
  }
  Py_XDECREF(o);
}

StackId ChainStack(Recorder& rec, const Chain& chain) {
  std::vector<Frame> frames;
  for (auto it = chain.frames.rbegin(); it != chain.frames.rend(); ++it) {
    PyCodeObject* code = FrameCode(*it);
    Frame f;
    f.file = rec.InternString(Str(code->co_filename));
    f.function = rec.InternString(Str(CodeQualName(code)));
    f.line = static_cast<uint32_t>(std::max(0, PyFrame_GetLineNumber(*it)));
    frames.push_back(f);
    if (frames.size() >= static_cast<size_t>(std::max(1, rec.options().stack_depth))) break;
  }
  return rec.depot().DefineFrames(std::move(frames));
}

// The asyncio lock an await chain ends in (Lock.acquire's `self`), or null.
PyObject* AwaitedLock(const Chain& chain) {
  if (chain.frames.empty()) return nullptr;
  PyFrameObject* inner = chain.frames.back();
  PyCodeObject* code = FrameCode(inner);
  std::string file = Str(code->co_filename);
  if (Str(CodeQualName(code)) != "Lock.acquire" || !file.ends_with("/asyncio/locks.py")) return nullptr;
  PyObject* locals = PyFrame_GetLocals(inner);
  PyObject* self = locals != nullptr ? PyMapping_GetItemString(locals, "self") : nullptr;
  Py_XDECREF(locals);
  PyErr_Clear();
  return self;
}

// asyncio.gather's future: the first of its children that is a task not done yet (the
// one the awaiting task waits for next).
PyObject* PendingChildTask(PyObject* fut) {
  if (fut == nullptr || fut == Py_None) return nullptr;
  PyObject* children = PyObject_GetAttrString(fut, "_children");
  PyErr_Clear();
  if (children == nullptr) return nullptr;
  PyObject* found = nullptr;
  PyObject* list = PySequence_List(children);
  Py_DECREF(children);
  PyErr_Clear();
  for (Py_ssize_t i = 0; list != nullptr && i < PyList_GET_SIZE(list) && found == nullptr; ++i) {
    PyObject* child = PyList_GET_ITEM(list, i);
    if (!IsTask(child)) continue;
    PyObject* done = PyObject_CallMethod(child, "done", nullptr);
    PyErr_Clear();
    if (done == Py_False) found = Py_NewRef(child);
    Py_XDECREF(done);
  }
  Py_XDECREF(list);
  return found;
}

LoopWait TaskWait(Recorder& rec, PyObject* task, Tid loop_tid) {
  LoopWait w;
  w.tid = TaskTid(rec, task, loop_tid);
  w.kind = WaitKind::kAwait;
  Chain chain;
  WalkChain(task, &chain);
  w.stack = ChainStack(rec, chain);
  if (PyObject* lock = AwaitedLock(chain)) {
    w.kind = WaitKind::kLock;
    w.obj = AsyncLockId(rec, lock);
    Py_DECREF(lock);
    return w;
  }
  PyObject* waiter = PyObject_GetAttrString(task, "_fut_waiter");
  PyErr_Clear();
  if (IsTask(waiter)) {
    w.kind = WaitKind::kJoin;
    w.obj = TaskTid(rec, waiter, loop_tid);
  } else if (PyObject* task_of_gather = PendingChildTask(waiter)) {
    w.kind = WaitKind::kJoin;
    w.obj = TaskTid(rec, task_of_gather, loop_tid);
    Py_DECREF(task_of_gather);
  }
  Py_XDECREF(waiter);
  return w;
}

// --- installation ---------------------------------------------------------------------

PyObject* Attr(const char* module, const char* name) {
  PyObject* m = PyImport_ImportModule(module);
  PyObject* v = m != nullptr ? PyObject_GetAttrString(m, name) : nullptr;
  Py_XDECREF(m);
  return v;
}

bool g_installed = false;

bool InstallNow() {
  if (g_installed) return true;
  g_installed = true;
  g_locked_name = PyUnicode_InternFromString("_locked");
  g_callback_name = PyUnicode_InternFromString("_callback");
  g_self_name = PyUnicode_InternFromString("__self__");
  g_done_name = PyUnicode_InternFromString("done");
  g_race_mode = Recorder::Get().options().detect.Has(Detect::kRaces);
  PyObject* attr_type = PyType_FromSpec(&g_locked_attr_spec);
  if (g_locked_name == nullptr || g_callback_name == nullptr || g_self_name == nullptr || g_done_name == nullptr ||
      attr_type == nullptr) {
    Py_XDECREF(attr_type);
    return false;
  }
  PyObject* handle = Attr("asyncio.events", "Handle");
  PyObject* loop = Attr("asyncio.base_events", "BaseEventLoop");
  PyObject* lock = Attr("asyncio.locks", "Lock");
  g_current_task = Attr("asyncio.tasks", "current_task");
  g_all_tasks = Attr("asyncio.tasks", "all_tasks");
  PyObject* task = Attr("asyncio.tasks", "Task");
  PyObject* py_task = nullptr;
  if (task != nullptr) {
    py_task = Attr("asyncio.tasks", "_PyTask");  // optional: absent where Task is pure Python
    if (py_task == nullptr) PyErr_Clear();
  }
  g_task_types = task != nullptr ? PyTuple_Pack(py_task != nullptr ? 2 : 1, task, py_task) : nullptr;
  Py_XDECREF(task);
  Py_XDECREF(py_task);
  g_getsignal = Attr("signal", "getsignal");
  g_default_int_handler = Attr("signal", "default_int_handler");
  PyObject* nsig = Attr("signal", "NSIG");
  if (nsig != nullptr) g_nsig = static_cast<int>(PyLong_AsLong(nsig));
  Py_XDECREF(nsig);
  PyErr_Clear();  // the signal module's parts are optional; the required ones are checked below
  PyObject* attr = PyObject_CallNoArgs(attr_type);
  Py_DECREF(attr_type);
  bool ok = handle != nullptr && loop != nullptr && lock != nullptr && g_current_task != nullptr &&
            g_all_tasks != nullptr && g_task_types != nullptr && attr != nullptr &&
            // Handle._run runs once per step: a method descriptor makes no bound method per call.
            ReplaceWithStandIn(g_handle_run_def, {.owner = handle, .keep = &g_orig_handle_run, .descriptor = true}) &&
            // The others are instancemethods around stand-ins, which pass the loop first.
            ReplaceWithStandIn(g_run_forever_def, {.owner = loop, .keep = &g_orig_run_forever}) &&
            ReplaceWithStandIn(g_call_soon_threadsafe_def, {.owner = loop, .keep = &g_orig_call_soon_threadsafe}) &&
            g_orig_handle_run != nullptr && g_orig_run_forever != nullptr && g_orig_call_soon_threadsafe != nullptr &&
            PyObject_SetAttr(lock, g_locked_name, attr) == 0;
  Py_XDECREF(attr);
  Py_XDECREF(handle);
  Py_XDECREF(loop);
  Py_XDECREF(lock);
  if (!ok && !PyErr_Occurred()) {
    PyErr_SetString(PyExc_RuntimeError, "pyrace: asyncio's Handle, BaseEventLoop, Lock or tasks API not found");
  }
  return ok;
}

PyObject* InstallWhenImported(PyObject*, PyObject*) {
  if (!InstallNow()) return nullptr;
  Py_RETURN_NONE;
}

PyMethodDef g_install_def = {"_install_asyncio_hooks", InstallWhenImported, METH_NOARGS, nullptr};

}  // namespace

// Installed when the program imports asyncio (import_hook.h's one-shot finder), so
// pyrace never imports it for a program that does not.
bool InstallAsyncioHooks(PyObject*) { return WhenImported("asyncio", &g_install_def); }

void StopLoopWatcher(bool for_good) {
  RuntimeThreadsGuard guard;
  if (for_good) g_watcher_disabled = true;
  g_watcher_paused = !for_good && g_watcher_running;
  if (!g_watcher_running) return;
  pthread_mutex_lock(&g_watch_mu);
  g_watcher_stop.store(true);
  pthread_cond_broadcast(&g_watch_cv);
  pthread_mutex_unlock(&g_watch_mu);
  // It may be waiting for the GIL we hold.
  Py_BEGIN_ALLOW_THREADS
  JoinRuntimeThread(g_watcher);
  Py_END_ALLOW_THREADS
  g_watcher_running = false;
}

void ResumeLoopWatcher() {
  RuntimeThreadsGuard guard;
  if (!g_watcher_paused) return;
  g_watcher_paused = false;
  StartLoopWatcher(Recorder::Get());
}

void ForgetLoopWatcherAfterFork() {
  g_watcher_paused = false;
  g_watcher_running = false;
  g_watcher_disabled = true;
  g_watcher_stop.store(true);
  g_watch_mu = PTHREAD_MUTEX_INITIALIZER;  // the parent's watcher may have held it
}

void AddEventLoopWaits(Recorder& rec, wait_for::Snapshot& snap) {
  if (g_loops.empty()) return;
  SavedError saved;
  uint64_t now = rec.NowUs();
  for (LoopRec& l : g_loops) {
    uint64_t seq = l.thread->seq.load();
    l.idle = loop_watch::Classify(ReadLoop(l)) == loop_watch::Idle::kIdle;
    if (!l.idle) {
      l.idle_seq = UINT64_MAX;
      continue;
    }
    if (l.idle_seq != seq) {
      l.idle_seq = seq;
      l.idle_since_us = now;
    }
    for (wait_for::ThreadSnapshot& t : snap.threads) {
      if (t.tid != l.thread->tid || t.waiting) continue;
      t.waiting = true;
      t.kind = WaitKind::kEventLoop;
      t.obj = l.id;
      t.timed = false;
      t.since_us = l.idle_since_us;
    }
  }
}

bool IdleLoopWaits(Recorder& rec, Tid thread, std::vector<LoopWait>* out) {
  const LoopRec* l = IdleLoopOf(thread);
  if (l == nullptr) return false;
  SavedError saved;
  LoopWait self;
  self.tid = thread;
  self.kind = WaitKind::kEventLoop;
  self.obj = l->id;
  PyFrameObject* top = PyThreadState_GetFrame(l->thread->tstate);
  self.stack = rec.CaptureStackFrom(top);
  Py_XDECREF(top);
  out->push_back(self);
  PyObject* tasks = PendingTasks(l->loop);
  PyErr_Clear();
  if (tasks == nullptr) return true;
  std::vector<LoopWait> waits;
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(tasks); ++i) {
    waits.push_back(TaskWait(rec, PyList_GET_ITEM(tasks, i), thread));
  }
  Py_DECREF(tasks);
  // The waits that explain the hang first: on an asyncio lock, on a future; then tasks
  // waiting for other tasks (gather, await task).
  auto rank = [](const LoopWait& w) { return w.kind == WaitKind::kLock ? 0 : w.kind == WaitKind::kAwait ? 1 : 2; };
  std::sort(waits.begin(), waits.end(), [&](const LoopWait& a, const LoopWait& b) {
    return rank(a) != rank(b) ? rank(a) < rank(b) : a.tid < b.tid;
  });
  out->insert(out->end(), waits.begin(), waits.end());
  return true;
}

#else  // Python 3.10: asyncio is not watched.

bool InstallAsyncioHooks(PyObject*) { return true; }
void StopLoopWatcher(bool) {}
void ResumeLoopWatcher() {}
void ForgetLoopWatcherAfterFork() {}
void AddEventLoopWaits(Recorder&, wait_for::Snapshot&) {}
bool IdleLoopWaits(Recorder&, Tid, std::vector<LoopWait>*) { return false; }
LoopStepPause::LoopStepPause() {}
LoopStepPause::~LoopStepPause() {}

#endif

}  // namespace pyrace::py
