// Threads: the child's id, name and start stack are recorded by the parent when it
// starts the thread (ThreadStart is the parent -> child edge); the child runs inside
// an entry function that attaches its record and, when the target returns, checks
// the locks it still holds and records ThreadExit. Thread.join and threading._shutdown
// are wrapped so the watchdog sees who waits for which thread.

#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/python/test_context.h"
#include "runtime/python/holders.h"
#include "runtime/python/lock_types.h"
#include "runtime/python/recorder.h"
#include "runtime/python/stand_in.h"
#include "runtime/python/thread_handle.h"
#include "runtime/python/threads.h"
#include "runtime/python/utf8.h"
#include "runtime/python/wrappers.h"

namespace pyrace::py {

namespace {

PyObject* g_orig_start_new_thread = nullptr;
PyObject* g_orig_start_joinable_thread = nullptr;
PyObject* g_orig_join = nullptr;
PyObject* g_orig_shutdown = nullptr;
PyObject* g_orig_is_alive = nullptr;
PyObject* g_orig_count = nullptr;
PyObject* g_thread_class = nullptr;  // threading.Thread
PyObject* g_tid_attr = nullptr;      // "_pyrace_tid"
// Threads pyrace started, in the order they ended, and per caller of _thread._count()
// how many of them it has already been ordered after.
std::vector<Tid> g_ended;
std::unordered_map<Tid, size_t> g_count_seen;

// The threading.Thread a start_new_thread target belongs to (its bound _bootstrap),
// or null for a raw _thread thread. Borrowed.
PyObject* ThreadObjectOf(PyObject* func) {
  if (g_thread_class == nullptr || !PyMethod_Check(func)) return nullptr;
  PyObject* self = PyMethod_GET_SELF(func);
  int is = PyObject_IsInstance(self, g_thread_class);
  if (is < 0) PyErr_Clear();
  return is > 0 ? self : nullptr;
}

std::string RawThreadName(PyObject* func, Tid tid) {
  std::string name = "Dummy-" + std::to_string(tid);
  PyObject* qn = PyObject_GetAttrString(func, "__qualname__");
  if (qn == nullptr) {
    PyErr_Clear();
    return name;
  }
  std::string fn = Utf8(qn);
  Py_DECREF(qn);
  return fn.empty() ? name : name + " (" + fn + ")";
}

// Registers the child and records ThreadStart from the parent.
ThreadRec* PrepareChild(PyObject* func, int daemon_arg) {
  Recorder& rec = Recorder::Get();
  ThreadRec* parent = rec.threads().Current();
  PyObject* thread_obj = ThreadObjectOf(func);
  bool daemon = daemon_arg > 0;
  std::string name;
  if (thread_obj != nullptr) {
    PyObject* n = PyObject_GetAttrString(thread_obj, "name");
    if (n != nullptr) {
      name = Utf8(n);
      Py_DECREF(n);
    }
    PyObject* d = PyObject_GetAttrString(thread_obj, "daemon");
    if (d != nullptr) {
      daemon = PyObject_IsTrue(d) > 0;
      Py_DECREF(d);
    }
    PyErr_Clear();
  }
  ThreadRec* child = rec.threads().Create(std::string(), daemon);
  child->test = CurrentTest(rec);
  child->name = name.empty() ? RawThreadName(func, child->tid) : name;
  // Live from now on: its starter may block until it runs, and that is not a hang.
  child->alive = true;
  if (thread_obj != nullptr) {
    PyObject* tid = PyLong_FromUnsignedLong(child->tid);
    if (tid == nullptr || PyObject_GenericSetAttr(thread_obj, g_tid_attr, tid) < 0) PyErr_Clear();
    Py_XDECREF(tid);
  }
  if (rec.recording()) {
    ThreadInfo info;
    info.name = rec.InternString(child->name);
    info.parent = parent->tid;
    info.start_stack = rec.CaptureStack();
    child->parent = info.parent;
    child->start_stack = info.start_stack;
    rec.writer()->DefineThread(child->tid, info);
    rec.Emit(EventKind::kThreadStart, child->tid, 0, 0, info.start_stack);
  }
  return child;
}

void StartFailed(ThreadRec* child) {
  Recorder& rec = Recorder::Get();
  child->alive = false;
  rec.EmitFor(child->tid, EventKind::kThreadExit, 0);
}

void EndThread(ThreadRec* t) {
  Recorder& rec = Recorder::Get();
  CheckHeldLocksAtThreadEnd(t);
  rec.Emit(EventKind::kThreadExit, 0);
  g_ended.push_back(t->tid);
  rec.threads().Detach(t);
}

void ReportThreadError(PyObject* func) {
  if (PyErr_ExceptionMatches(PyExc_SystemExit)) {
    PyErr_Clear();
    return;
  }
#if PY_VERSION_HEX >= 0x030D0000
  PyErr_FormatUnraisable("Exception ignored in thread started by %R", func);
#else
  _PyErr_WriteUnraisableMsg("in thread started by", func);
#endif
}

// self = (tid, func, args, kwargs-or-None)
PyObject* ThreadEntry(PyObject* self, PyObject*) {
  Recorder& rec = Recorder::Get();
  Tid tid = static_cast<Tid>(PyLong_AsUnsignedLong(PyTuple_GET_ITEM(self, 0)));
  PyObject* func = PyTuple_GET_ITEM(self, 1);
  PyObject* args = PyTuple_GET_ITEM(self, 2);
  PyObject* kwargs = PyTuple_GET_ITEM(self, 3);
  ThreadRec* t = rec.threads().Get(tid);
  if (t != nullptr) rec.threads().Attach(t);
  PyObject* res = PyObject_Call(func, args, kwargs == Py_None ? nullptr : kwargs);
  if (res == nullptr) ReportThreadError(func);
  Py_XDECREF(res);
  if (t != nullptr) EndThread(t);
  Py_RETURN_NONE;
}

PyMethodDef g_entry_def = {"_pyrace_thread_entry", ThreadEntry, METH_NOARGS, nullptr};

PyObject* MakeEntry(ThreadRec* child, PyObject* func, PyObject* args, PyObject* kwargs) {
  PyObject* self = Py_BuildValue("(kOOO)", static_cast<unsigned long>(child->tid), func, args,
                                 kwargs != nullptr ? kwargs : Py_None);
  if (self == nullptr) return nullptr;
  PyObject* entry = PyCFunction_New(&g_entry_def, self);
  Py_DECREF(self);
  return entry;
}

// _thread.start_new_thread(function, args, kwargs=None), CPython's checks first.
PyObject* StartNewThread(PyObject*, PyObject* args) {
  PyObject* func = nullptr;
  PyObject* fargs = nullptr;
  PyObject* fkw = nullptr;
  if (!PyArg_UnpackTuple(args, "start_new_thread", 2, 3, &func, &fargs, &fkw)) return nullptr;
  if (!PyCallable_Check(func)) {
    PyErr_SetString(PyExc_TypeError, "first arg must be callable");
    return nullptr;
  }
  if (!PyTuple_Check(fargs)) {
    PyErr_SetString(PyExc_TypeError, "2nd arg must be a tuple");
    return nullptr;
  }
  if (fkw != nullptr && !PyDict_Check(fkw)) {
    PyErr_SetString(PyExc_TypeError, "optional 3rd arg must be a dictionary");
    return nullptr;
  }
  ThreadRec* child = PrepareChild(func, -1);
  PyObject* entry = MakeEntry(child, func, fargs, fkw);
  if (entry == nullptr) {
    StartFailed(child);
    return nullptr;
  }
  PyObject* res = PyObject_CallFunction(g_orig_start_new_thread, "(O())", entry);
  Py_DECREF(entry);
  if (res == nullptr) StartFailed(child);
  return res;
}

// 3.13: _thread.start_joinable_thread(function, handle=None, daemon=True).
PyObject* StartJoinableThread(PyObject*, PyObject* args, PyObject* kwargs) {
  static const char* kwlist[] = {"function", "handle", "daemon", nullptr};
  PyObject* func = nullptr;
  PyObject* handle = Py_None;
  int daemon = 1;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|Op:start_joinable_thread",
                                   const_cast<char**>(kwlist), &func, &handle, &daemon)) {
    return nullptr;
  }
  if (!PyCallable_Check(func)) {
    PyErr_SetString(PyExc_TypeError, "thread function must be callable");
    return nullptr;
  }
  ThreadRec* child = PrepareChild(func, daemon);
  PyObject* empty = PyTuple_New(0);
  PyObject* entry = empty != nullptr ? MakeEntry(child, func, empty, nullptr) : nullptr;
  Py_XDECREF(empty);
  if (entry == nullptr) {
    StartFailed(child);
    return nullptr;
  }
  PyObject* call_kw = Py_BuildValue("{sOsO}", "handle", handle, "daemon", daemon ? Py_True : Py_False);
  PyObject* call_args = PyTuple_Pack(1, entry);
  PyObject* res = nullptr;
  if (call_kw != nullptr && call_args != nullptr) {
    res = PyObject_Call(g_orig_start_joinable_thread, call_args, call_kw);
  }
  Py_XDECREF(call_kw);
  Py_XDECREF(call_args);
  Py_DECREF(entry);
  if (res == nullptr) {
    StartFailed(child);
    return nullptr;
  }
  return handle == Py_None ? WrapJoinableHandle(res, child->tid) : res;
}

bool JoinIsTimed(PyObject* args, PyObject* kwargs) {
  PyObject* timeout = PyTuple_GET_SIZE(args) > 1 ? PyTuple_GET_ITEM(args, 1) : nullptr;
  if (timeout == nullptr && kwargs != nullptr) timeout = PyDict_GetItemString(kwargs, "timeout");
  return timeout != nullptr && timeout != Py_None;
}

// Thread.join(self, timeout=None), installed as a method.
PyObject* ThreadJoin(PyObject*, PyObject* args, PyObject* kwargs) {
  Recorder& rec = Recorder::Get();
  if (PyTuple_GET_SIZE(args) < 1) return PyObject_Call(g_orig_join, args, kwargs);
  PyObject* self = PyTuple_GET_ITEM(args, 0);
  PyObject* tid_obj = PyObject_GenericGetAttr(self, g_tid_attr);
  if (tid_obj == nullptr) {
    PyErr_Clear();
    return PyObject_Call(g_orig_join, args, kwargs);
  }
  Tid tid = static_cast<Tid>(PyLong_AsUnsignedLong(tid_obj));
  Py_DECREF(tid_obj);
  StackId stack = CallSiteStack();
  PyObject* res;
  {
    WaitScope wait(WaitKind::kJoin, tid, nullptr, JoinIsTimed(args, kwargs), stack);
    res = PyObject_Call(g_orig_join, args, kwargs);
  }
  ThreadRec* joined = rec.threads().Get(tid);
  if (res != nullptr && joined != nullptr && !joined->alive) {
    rec.Emit(EventKind::kThreadJoin, tid, 0, 0, stack);
  }
  return res;
}

// The pyrace Tid of a started threading.Thread, false for one never started.
bool StartedTid(PyObject* thread, Tid* tid) {
  PyObject* tid_obj = PyObject_GenericGetAttr(thread, g_tid_attr);
  if (tid_obj == nullptr) {
    PyErr_Clear();
    return false;
  }
  *tid = static_cast<Tid>(PyLong_AsUnsignedLong(tid_obj));
  Py_DECREF(tid_obj);
  return true;
}

// Thread.name's setter: `threading.current_thread().name = "worker-3"` inside run() is
// how many programs name their threads, so reports must use the new name. A thread
// definition given again replaces the old one (docs/trace-format.md).
PyObject* g_orig_name_setter = nullptr;

PyObject* ThreadSetName(PyObject*, PyObject* args) {
  PyObject* res = PyObject_Call(g_orig_name_setter, args, nullptr);
  if (res == nullptr || PyTuple_GET_SIZE(args) != 2) return res;
  Recorder& rec = Recorder::Get();
  if (!rec.recording()) return res;
  PyObject* self = PyTuple_GET_ITEM(args, 0);
  Tid tid = 0;
  ThreadRec* t = StartedTid(self, &tid) ? rec.threads().Get(tid) : nullptr;
  if (t == nullptr) {  // a thread pyrace did not start (the main thread) renaming itself
    PyObject* ident = PyObject_GetAttrString(self, "ident");
    unsigned long id = ident != nullptr && ident != Py_None ? PyLong_AsUnsignedLong(ident) : 0;
    Py_XDECREF(ident);
    PyErr_Clear();
    if (id != 0 && id == PyThread_get_thread_ident()) t = rec.threads().Current();
  }
  PyObject* name = PyObject_GetAttrString(self, "name");
  const char* text = name != nullptr && PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : nullptr;
  if (t != nullptr && text != nullptr) {
    t->name = text;
    ThreadInfo info;
    info.name = rec.InternString(t->name);
    info.parent = t->parent;
    info.start_stack = t->start_stack;
    rec.writer()->DefineThread(t->tid, info);
  }
  Py_XDECREF(name);
  PyErr_Clear();
  return res;
}

// Condition._is_owned, for a Condition on a plain Lock, probes it with acquire(False).
// The holder's failed probe looks exactly like a lock used as a signal (lock_state.h:
// the holder trying its own plain Lock again), so every `with cv: cv.notify()` turned
// a real mutex into a "signal" and dropped it from lock-order edges and lock sets (an
// ABBA between two Condition(Lock()) that notify went unreported). For pyrace's own
// lock the answer is read directly, the one the probe gives: locked, by anyone.
PyObject* g_orig_is_owned = nullptr;

PyObject* ConditionIsOwned(PyObject*, PyObject* args) {
  static PyObject* lock_attr = PyUnicode_InternFromString("_lock");
  if (PyTuple_GET_SIZE(args) == 1 && lock_attr != nullptr) {
    PyObject* lock = PyObject_GetAttr(PyTuple_GET_ITEM(args, 0), lock_attr);
    if (lock != nullptr && Py_TYPE(lock) == LockType() && reinterpret_cast<LockObject*>(lock)->interp_lock == nullptr) {
      bool locked = reinterpret_cast<LockObject*>(lock)->locked;
      Py_DECREF(lock);
      return PyBool_FromLong(locked);
    }
    Py_XDECREF(lock);
    PyErr_Clear();
  }
  return PyObject_Call(g_orig_is_owned, args, nullptr);
}

PyMethodDef g_is_owned_def = {"_is_owned", ConditionIsOwned, METH_VARARGS, nullptr};

PyMethodDef g_set_name_def = {"_pyrace_set_name", ThreadSetName, METH_VARARGS, nullptr};

// Thread.name becomes property(original getter, ThreadSetName).
bool WrapNameSetter(PyObject* thread_class, PyObject* originals) {
  if (g_orig_name_setter != nullptr) return true;  // threading patched once already
  PyObject* prop = PyObject_GetAttrString(thread_class, "name");
  if (prop == nullptr) return false;
  PyObject* fget = PyObject_GetAttrString(prop, "fget");
  g_orig_name_setter = PyObject_GetAttrString(prop, "fset");
  PyObject* setter = g_orig_name_setter != nullptr && g_orig_name_setter != Py_None
                         ? NewStandIn(g_set_name_def, thread_class, nullptr, g_orig_name_setter)
                         : nullptr;
  PyObject* wrapped = nullptr;
  if (fget != nullptr && g_orig_name_setter != nullptr && g_orig_name_setter != Py_None && setter != nullptr) {
    wrapped = PyObject_CallFunctionObjArgs(reinterpret_cast<PyObject*>(&PyProperty_Type), fget, setter, nullptr);
  }
  bool ok = wrapped != nullptr &&
            (originals == nullptr || PyDict_SetItemString(originals, "Thread.name", prop) == 0) &&
            PyObject_SetAttrString(thread_class, "name", wrapped) == 0;
  Py_XDECREF(wrapped);
  Py_XDECREF(setter);
  Py_XDECREF(fget);
  Py_DECREF(prop);
  return ok;
}

// Thread.is_alive(self). False for a started thread means its end was seen (CPython
// reads it under the thread's tstate lock, which the ending thread releases), so it
// orders the caller after the thread like join: `while t.is_alive(): sleep(...)`
// followed by reading the thread's results is correct code.
PyObject* ThreadIsAlive(PyObject*, PyObject* args, PyObject* kwargs) {
  PyObject* res = PyObject_Call(g_orig_is_alive, args, kwargs);
  if (res != Py_False || PyTuple_GET_SIZE(args) < 1) return res;
  Recorder& rec = Recorder::Get();
  Tid tid = 0;
  ThreadRec* t = StartedTid(PyTuple_GET_ITEM(args, 0), &tid) ? rec.threads().Get(tid) : nullptr;
  if (t != nullptr && !t->alive && rec.recording()) {
    rec.Emit(EventKind::kThreadJoin, tid, 0, 0, CallSiteStack());
  }
  return res;
}

// _thread._count(): the number of live threads, decremented as each one ends. A
// caller that read it has seen every end before it, the way
// test.support.threading_helper.wait_threads_exit() waits for the threads it
// started: each thread that ended since this caller's last look is joined.
PyObject* ThreadCount(PyObject*, PyObject*) {
  PyObject* res = PyObject_CallNoArgs(g_orig_count);
  Recorder& rec = Recorder::Get();
  if (res == nullptr || !rec.recording()) return res;
  size_t& seen = g_count_seen[rec.threads().Current()->tid];
  if (seen == g_ended.size()) return res;
  StackId stack = CallSiteStack();
  for (; seen < g_ended.size(); ++seen) rec.Emit(EventKind::kThreadJoin, g_ended[seen], 0, 0, stack);
  return res;
}

// threading._shutdown(): the interpreter waiting for every non-daemon thread.
PyObject* Shutdown(PyObject*, PyObject*) {
  StackId stack = CallSiteStack();
  WaitScope wait(WaitKind::kJoinAll, 0, nullptr, /*timed=*/false, stack);
  return PyObject_CallNoArgs(g_orig_shutdown);
}

PyMethodDef g_start_new_thread_def = {"start_new_thread", StartNewThread, METH_VARARGS, nullptr};
PyMethodDef g_start_joinable_def = {
    "start_joinable_thread",
    AsPyCFunction(StartJoinableThread),
    METH_VARARGS | METH_KEYWORDS, nullptr};
PyMethodDef g_join_def = {
    "join", AsPyCFunction(ThreadJoin),
    METH_VARARGS | METH_KEYWORDS, nullptr};
PyMethodDef g_shutdown_def = {"_shutdown", Shutdown, METH_NOARGS, nullptr};
PyMethodDef g_is_alive_def = {
    "is_alive", AsPyCFunction(ThreadIsAlive),
    METH_VARARGS | METH_KEYWORDS, nullptr};
PyMethodDef g_count_def = {"_count", ThreadCount, METH_NOARGS, nullptr};

}  // namespace

bool InstallThreadWrappers(PyObject* module, PyObject* originals) {
  g_tid_attr = PyUnicode_InternFromString("_pyrace_tid");
  PyObject* thread_mod = PyImport_ImportModule("_thread");
  if (thread_mod == nullptr || g_tid_attr == nullptr) return false;
  bool ok = ReplaceWithStandIn(g_start_new_thread_def,
                               {.owner = thread_mod, .keep = &g_orig_start_new_thread, .originals = originals}) &&
            ReplaceWithStandIn(g_start_new_thread_def, {.owner = thread_mod, .name = "start_new", .originals = originals}) &&
            ReplaceWithStandIn(g_start_joinable_def,
                               {.owner = thread_mod, .keep = &g_orig_start_joinable_thread, .originals = originals}) &&
            ReplaceWithStandIn(g_count_def, {.owner = thread_mod, .keep = &g_orig_count, .originals = originals});
  Py_DECREF(thread_mod);
  (void)module;
  return ok;
}

// threading is imported by now and bound the wrapped _thread names if it was
// imported after InstallThreadWrappers; otherwise its module globals are patched.
bool PatchThreading(PyObject* threading, PyObject* originals) {
  PyObject* thread_mod = PyImport_ImportModule("_thread");
  if (thread_mod == nullptr) return false;
  struct Alias {
    const char* threading_name;
    const char* thread_name;
  };
  const Alias aliases[] = {
      {"_start_new_thread", "start_new_thread"},
      {"_start_joinable_thread", "start_joinable_thread"},
      {"_allocate_lock", "allocate_lock"},
      {"_CRLock", "RLock"},
      {"_LockType", "LockType"},
      {"_set_sentinel", "_set_sentinel"},
  };
  bool ok = true;
  for (const Alias& a : aliases) {
    if (!ok) break;
    if (!PyObject_HasAttrString(threading, a.threading_name)) continue;
    PyObject* v = PyObject_GetAttrString(thread_mod, a.thread_name);
    ok = v != nullptr && PyObject_SetAttrString(threading, a.threading_name, v) == 0;
    Py_XDECREF(v);
  }
  // threading.Lock is _allocate_lock (<= 3.12) or _LockType (3.13).
  if (ok) {
    const char* src = PyObject_HasAttrString(thread_mod, "start_joinable_thread") ? "LockType"
                                                                                   : "allocate_lock";
    PyObject* v = PyObject_GetAttrString(thread_mod, src);
    ok = v != nullptr && PyObject_SetAttrString(threading, "Lock", v) == 0;
    Py_XDECREF(v);
  }
  Py_DECREF(thread_mod);
  if (!ok) return false;

  g_thread_class = PyObject_GetAttrString(threading, "Thread");
  if (g_thread_class == nullptr) return false;
  ok = ReplaceWithStandIn(g_join_def,
                          {.owner = g_thread_class, .keep = &g_orig_join, .originals = originals, .key = "Thread.join"}) &&
       ReplaceWithStandIn(g_is_alive_def, {.owner = g_thread_class,
                                           .keep = &g_orig_is_alive,
                                           .originals = originals,
                                           .key = "Thread.is_alive"});
  if (!ok || !WrapNameSetter(g_thread_class, originals)) return false;
  PyObject* condition = PyObject_GetAttrString(threading, "Condition");
  ok = condition != nullptr && ReplaceWithStandIn(g_is_owned_def, {.owner = condition,
                                                                    .keep = &g_orig_is_owned,
                                                                    .originals = originals,
                                                                    .key = "Condition._is_owned"});
  Py_XDECREF(condition);
  return ok && ReplaceWithStandIn(g_shutdown_def, {.owner = threading,
                                                   .keep = &g_orig_shutdown,
                                                   .originals = originals,
                                                   .key = "threading._shutdown"});
}

void EndMainThread() {
  Recorder& rec = Recorder::Get();
  ThreadRec* t = rec.threads().CurrentOrNull();
  if (t == nullptr || !t->alive) return;
  CheckHeldLocksAtThreadEnd(t);
  rec.Emit(EventKind::kThreadExit, 0);
  t->alive = false;
}

}  // namespace pyrace::py
