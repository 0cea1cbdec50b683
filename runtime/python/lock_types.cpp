#include "runtime/python/lock_types.h"

#include <structmember.h>

#include <algorithm>
#include <climits>
#include <vector>

#include "runtime/python/holders.h"
#include "runtime/python/lock_args.h"
#include "runtime/python/recorder.h"
#include "runtime/python/stand_in.h"
#include "runtime/python/threads.h"

namespace pyrace::py {

namespace {

PyTypeObject* g_lock_type = nullptr;
PyTypeObject* g_rlock_type = nullptr;

LockObject* AsLock(PyObject* self) { return reinterpret_cast<LockObject*>(self); }

bool InitFields(LockObject* l, LockKind kind) {
  l->lock = PyThread_allocate_lock();
  l->weakreflist = nullptr;
  l->kind = kind;
  l->locked = false;
  l->owner = 0;
  l->count = 0;
  l->holder = nullptr;
  l->acquire_frame = nullptr;
  l->acquire_stack = kNoStack;
  l->enter_frame = nullptr;
  l->enter_code = nullptr;
  l->frame_end_reported = false;
  l->is_signal = false;
  l->interp_lock = nullptr;
  l->id = 0;
  if (l->lock == nullptr) {
    PyErr_SetString(PyExc_MemoryError, "can't allocate lock");
    return false;
  }
  NoteCreated(l);
  return true;
}

// A lock holds no reference but its type's and a sentinel's interpreter lock (the
// acquiring frame is borrowed).
int LockTraverse(PyObject* self, visitproc visit, void* arg) {
  Py_VISIT(Py_TYPE(self));
  Py_VISIT(AsLock(self)->interp_lock);
  return 0;
}

// A sentinel's method: the interpreter lock's own, with the same arguments.
PyObject* CallInterpLock(LockObject* l, const char* method, PyObject* const* args = nullptr, Py_ssize_t nargs = 0,
                         PyObject* kwnames = nullptr) {
  PyObject* name = PyUnicode_InternFromString(method);
  if (name == nullptr) return nullptr;
  std::vector<PyObject*> stack(static_cast<size_t>(nargs + 1 + (kwnames ? PyTuple_GET_SIZE(kwnames) : 0)));
  stack[0] = l->interp_lock;
  std::copy(args, args + stack.size() - 1, stack.begin() + 1);
  PyObject* res = PyObject_VectorcallMethod(name, stack.data(), static_cast<size_t>(nargs + 1), kwnames);
  Py_DECREF(name);
  return res;
}

void LockDealloc(PyObject* self) {
  LockObject* l = AsLock(self);
  PyTypeObject* tp = Py_TYPE(self);
  PyObject_GC_UnTrack(self);
  if (l->weakreflist != nullptr) PyObject_ClearWeakRefs(self);
  if (l->interp_lock != nullptr) {
    Py_CLEAR(l->interp_lock);
    tp->tp_free(self);
    Py_DECREF(tp);
    return;
  }
  if (l->acquire_frame != nullptr) CheckFrameEnd(l, /*holder_gone=*/false);
  NoteFreedWhileHeld(l);
  ForgetHolder(l);
  Recorder::Get().ForgetLock(l->id);  // a freed lock's release is learnt by nobody
  if (l->lock != nullptr) {
    // Like CPython: a lock freed while held is released first.
    if (l->locked) PyThread_release_lock(l->lock);
    PyThread_free_lock(l->lock);
  }
  tp->tp_free(self);
  Py_DECREF(tp);
}

// The common acquire: RLock re-entry, the non-blocking try, then the blocking wait.
// scoped: by __enter__, so released by the same activation on every path.
PyObject* Acquire(LockObject* l, const AcquireArgs& a, bool scoped = false) {
  uint8_t flags = static_cast<uint8_t>((a.blocking ? 0 : kFlagTry) | (a.timed ? kFlagTimed : 0));
  StackId stack = CallSiteStack();
  unsigned long me = 0;
  if (l->kind == LockKind::kRLock) {
    me = PyThread_get_thread_ident();
    if (l->count > 0 && l->owner == me) {
      if (l->count == ULONG_MAX) {
        PyErr_SetString(PyExc_OverflowError, "Internal lock count overflowed");
        return nullptr;
      }
      ++l->count;
      NoteReentered(l, stack, flags);
      Py_RETURN_TRUE;
    }
  }
  PyLockStatus r = PyThread_acquire_lock_timed(l->lock, 0, 0);
  if (r != PY_LOCK_ACQUIRED && l->kind == LockKind::kLock && l->holder != nullptr &&
      l->holder == Recorder::Get().threads().CurrentOrNull()) {
    // Its holder taking it again waits for another thread's release: a signal, not a
    // mutex a frame forgot. Its frame is let go now and no later one is kept.
    l->is_signal = true;
    WatchAcquireFrame(l, nullptr);
  }
  if (r != PY_LOCK_ACQUIRED && a.timeout_ns != 0) {
    if (l->acquire_frame != nullptr) CheckFrameEnd(l, /*holder_gone=*/false);
    WaitScope wait(WaitKind::kLock, l->id, l, a.timed, stack);
    r = AcquireBlocking(l->lock, a.timeout_ns);
  }
  if (r == PY_LOCK_INTR) return nullptr;
  if (r != PY_LOCK_ACQUIRED) {
    NoteTryFailed(l, stack, flags);
    Py_RETURN_FALSE;
  }
  l->locked = true;
  if (l->kind == LockKind::kRLock) {
    l->owner = me;
    l->count = 1;
  }
  NoteAcquired(l, stack, flags, /*keep_frame=*/!scoped);
  Py_RETURN_TRUE;
}

PyObject* LockAcquire(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  if (AsLock(self)->interp_lock != nullptr) return CallInterpLock(AsLock(self), "acquire", args, nargs, kwnames);
  AcquireArgs a;
  if ((nargs != 0 || kwnames != nullptr) && !ParseAcquireArgs(args, nargs, kwnames, &a)) {
    return nullptr;
  }
  return Acquire(AsLock(self), a);
}

PyObject* LockEnter(PyObject* self, PyObject*) {
  if (AsLock(self)->interp_lock != nullptr) return CallInterpLock(AsLock(self), "__enter__");
  return Acquire(AsLock(self), AcquireArgs{}, /*scoped=*/true);
}

// Release of the outermost level: record, then release the real lock.
void ReleaseOutermost(LockObject* l, StackId stack) {
  l->locked = false;
  NoteReleased(l, stack, 0);
  PyThread_release_lock(l->lock);
}

PyObject* PlainRelease(LockObject* l) {
  StackId stack = ReleaseSiteStack(l);
  if (!l->locked) {
    NoteReleaseEvent(l, stack, kFlagError);
    PyErr_SetString(PyExc_RuntimeError, "release unlocked lock");
    return nullptr;
  }
  ReleaseOutermost(l, stack);
  Py_RETURN_NONE;
}

PyObject* RLockRelease(LockObject* l) {
  StackId stack = ReleaseSiteStack(l);
  if (l->count == 0 || l->owner != PyThread_get_thread_ident()) {
    NoteReleaseEvent(l, stack, kFlagError);
    PyErr_SetString(PyExc_RuntimeError, "cannot release un-acquired lock");
    return nullptr;
  }
  if (--l->count > 0) {
    NoteReleaseEvent(l, stack, kFlagReentrant);
    Py_RETURN_NONE;
  }
  l->owner = 0;
  ReleaseOutermost(l, stack);
  Py_RETURN_NONE;
}

PyObject* LockRelease(PyObject* self, PyObject*) {
  LockObject* l = AsLock(self);
  if (l->interp_lock != nullptr) return CallInterpLock(l, "release");
  return l->kind == LockKind::kRLock ? RLockRelease(l) : PlainRelease(l);
}

PyObject* LockExit(PyObject* self, PyObject*) { return LockRelease(self, nullptr); }

PyObject* LockLocked(PyObject* self, PyObject*) {
  if (AsLock(self)->interp_lock != nullptr) return CallInterpLock(AsLock(self), "locked");
  return PyBool_FromLong(AsLock(self)->locked);
}

// After fork only the forking thread survives: the lock starts over, unlocked.
// The old PyThread lock is leaked rather than freed in an unknown state.
PyObject* LockAtForkReinit(PyObject* self, PyObject*) {
  LockObject* l = AsLock(self);
  if (l->interp_lock != nullptr) return CallInterpLock(l, "_at_fork_reinit");
  PyThread_type_lock fresh = PyThread_allocate_lock();
  if (fresh == nullptr) {
    PyErr_SetString(PyExc_MemoryError, "can't allocate lock");
    return nullptr;
  }
  l->lock = fresh;
  l->locked = false;
  l->owner = 0;
  l->count = 0;
  ForgetHolder(l);
  Py_RETURN_NONE;
}

PyObject* LockRepr(PyObject* self) {
  bool locked = AsLock(self)->locked;
  if (AsLock(self)->interp_lock != nullptr) {
    PyObject* r = CallInterpLock(AsLock(self), "locked");
    if (r == nullptr) return nullptr;
    locked = r == Py_True;
    Py_DECREF(r);
  }
  return PyUnicode_FromFormat("<%s %s object at %p>", locked ? "locked" : "unlocked", Py_TYPE(self)->tp_name, self);
}

PyObject* RLockRepr(PyObject* self) {
  LockObject* l = AsLock(self);
  return PyUnicode_FromFormat("<%s %s object owner=%lu count=%lu at %p>",
                              l->count > 0 ? "locked" : "unlocked", Py_TYPE(self)->tp_name,
                              l->owner, l->count, self);
}

PyObject* RLockIsOwned(PyObject* self, PyObject*) {
  LockObject* l = AsLock(self);
  return PyBool_FromLong(l->count > 0 && l->owner == PyThread_get_thread_ident());
}

#if PY_VERSION_HEX >= 0x030E0000
// 3.14's RLock.locked(): held by any thread (threading.Condition binds it).
PyObject* RLockLocked(PyObject* self, PyObject*) { return PyBool_FromLong(AsLock(self)->count > 0); }
#endif

#if PY_VERSION_HEX >= 0x030B0000
PyObject* RLockRecursionCount(PyObject* self, PyObject*) {
  LockObject* l = AsLock(self);
  return PyLong_FromUnsignedLong(l->owner == PyThread_get_thread_ident() ? l->count : 0);
}
#endif

// Condition.wait: release every level at once and hand back (count, owner).
PyObject* RLockReleaseSave(PyObject* self, PyObject*) {
  LockObject* l = AsLock(self);
  StackId stack = CallSiteStack();
#if PY_VERSION_HEX >= 0x030D0000
  bool ok = l->count > 0 && l->owner == PyThread_get_thread_ident();
#else
  bool ok = l->count > 0;
#endif
  if (!ok) {
    NoteReleaseEvent(l, stack, kFlagError);
    PyErr_SetString(PyExc_RuntimeError, "cannot release un-acquired lock");
    return nullptr;
  }
  unsigned long count = l->count;
  unsigned long owner = l->owner;
  l->count = 0;
  l->owner = 0;
  ReleaseOutermost(l, stack);
  return Py_BuildValue("(kk)", count, owner);
}

PyObject* RLockAcquireRestore(PyObject* self, PyObject* args) {
  LockObject* l = AsLock(self);
  unsigned long count = 0;
  unsigned long owner = 0;
  if (!PyArg_ParseTuple(args, "(kk):_acquire_restore", &count, &owner)) return nullptr;
  StackId stack = CallSiteStack();
  if (!PyThread_acquire_lock(l->lock, 0)) {
    WaitScope wait(WaitKind::kLock, l->id, l, /*timed=*/false, stack);
    AcquireUninterruptible(l->lock);
  }
  l->locked = true;
  l->owner = owner;
  l->count = count;
  NoteAcquired(l, stack, 0);
  Py_RETURN_NONE;
}

PyObject* RLockNew(PyTypeObject* type, PyObject*, PyObject*) {
  PyObject* self = type->tp_alloc(type, 0);
  if (self == nullptr) return nullptr;
  if (!InitFields(AsLock(self), LockKind::kRLock)) {
    Py_DECREF(self);
    return nullptr;
  }
  return self;
}

#if PY_VERSION_HEX >= 0x030D0000
// 3.13 made _thread.lock constructible (threading.Lock is the type).
PyObject* LockNew(PyTypeObject* type, PyObject* args, PyObject* kwds) {
  if (PyTuple_GET_SIZE(args) != 0 || (kwds != nullptr && PyDict_GET_SIZE(kwds) != 0)) {
    PyErr_SetString(PyExc_TypeError, "lock() takes no arguments");
    return nullptr;
  }
  PyObject* self = type->tp_alloc(type, 0);
  if (self == nullptr) return nullptr;
  if (!InitFields(AsLock(self), LockKind::kLock)) {
    Py_DECREF(self);
    return nullptr;
  }
  return self;
}
#endif

constexpr int kFastKw = METH_FASTCALL | METH_KEYWORDS;

PyMethodDef g_lock_methods[] = {
    {"acquire", AsPyCFunction(LockAcquire), kFastKw, nullptr},
    {"acquire_lock", AsPyCFunction(LockAcquire), kFastKw, nullptr},
    {"release", LockRelease, METH_NOARGS, nullptr},
    {"release_lock", LockRelease, METH_NOARGS, nullptr},
    {"locked", LockLocked, METH_NOARGS, nullptr},
    {"locked_lock", LockLocked, METH_NOARGS, nullptr},
    {"__enter__", LockEnter, METH_NOARGS, nullptr},
    {"__exit__", LockExit, METH_VARARGS, nullptr},
    {"_at_fork_reinit", LockAtForkReinit, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr},
};

PyMethodDef g_rlock_methods[] = {
    {"acquire", AsPyCFunction(LockAcquire), kFastKw, nullptr},
    {"release", LockRelease, METH_NOARGS, nullptr},
    {"__enter__", LockEnter, METH_NOARGS, nullptr},
    {"__exit__", LockExit, METH_VARARGS, nullptr},
    {"_is_owned", RLockIsOwned, METH_NOARGS, nullptr},
    {"_release_save", RLockReleaseSave, METH_NOARGS, nullptr},
    {"_acquire_restore", RLockAcquireRestore, METH_VARARGS, nullptr},
#if PY_VERSION_HEX >= 0x030B0000
    {"_recursion_count", RLockRecursionCount, METH_NOARGS, nullptr},
#endif
#if PY_VERSION_HEX >= 0x030E0000
    {"locked", RLockLocked, METH_NOARGS, nullptr},
#endif
    {"_at_fork_reinit", LockAtForkReinit, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr},
};

PyMemberDef g_members[] = {
    {const_cast<char*>("__weaklistoffset__"), T_PYSSIZET,
     static_cast<Py_ssize_t>(offsetof(LockObject, weakreflist)), READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr},
};

// Py_tp_doc first in both: _thread's own type's doc, set before the type is made.
PyType_Slot g_lock_slots[] = {
    {Py_tp_doc, nullptr},
    {Py_tp_dealloc, reinterpret_cast<void*>(LockDealloc)},
    {Py_tp_traverse, reinterpret_cast<void*>(LockTraverse)},
    {Py_tp_repr, reinterpret_cast<void*>(LockRepr)},
    {Py_tp_methods, g_lock_methods},
    {Py_tp_members, g_members},
#if PY_VERSION_HEX >= 0x030D0000
    {Py_tp_new, reinterpret_cast<void*>(LockNew)},
#endif
    {0, nullptr},
};

PyType_Slot g_rlock_slots[] = {
    {Py_tp_doc, nullptr},
    {Py_tp_dealloc, reinterpret_cast<void*>(LockDealloc)},
    {Py_tp_traverse, reinterpret_cast<void*>(LockTraverse)},
    {Py_tp_repr, reinterpret_cast<void*>(RLockRepr)},
    {Py_tp_methods, g_rlock_methods},
    {Py_tp_members, g_members},
    {Py_tp_new, reinterpret_cast<void*>(RLockNew)},
    {0, nullptr},
};

PyType_Spec g_lock_spec = {
    "_thread.lock", sizeof(LockObject), 0,
#if PY_VERSION_HEX >= 0x030D0000
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
#else
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_DISALLOW_INSTANTIATION,
#endif
    g_lock_slots};

PyType_Spec g_rlock_spec = {"_thread.RLock", sizeof(LockObject), 0,
                            Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
                            g_rlock_slots};

// Methods, type docs and text signatures as _thread's own types have them.
bool CopyDocs() {
  PyObject* thread_mod = PyImport_ImportModule("_thread");
  if (thread_mod == nullptr) return false;
  PyObject* lock = PyObject_GetAttrString(thread_mod, "LockType");
  PyObject* rlock = PyObject_GetAttrString(thread_mod, "RLock");
  Py_DECREF(thread_mod);
  if (lock == nullptr || rlock == nullptr) {
    Py_XDECREF(lock);
    Py_XDECREF(rlock);
    return false;
  }
  CopyMethodDocs(g_lock_methods, lock);
  CopyMethodDocs(g_rlock_methods, rlock);
  g_lock_slots[0].pfunc = const_cast<char*>(RawTypeDoc(lock));
  g_rlock_slots[0].pfunc = const_cast<char*>(RawTypeDoc(rlock));
  Py_DECREF(lock);
  Py_DECREF(rlock);
  return true;
}

}  // namespace

bool InitLockTypes(PyObject* module) {
  if (!CopyDocs()) return false;
  g_lock_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&g_lock_spec));
  if (g_lock_type == nullptr) return false;
  g_rlock_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&g_rlock_spec));
  if (g_rlock_type == nullptr) return false;
  // The module keeps its own references; the globals are borrowed from them.
  Py_INCREF(g_lock_type);
  Py_INCREF(g_rlock_type);
  if (PyModule_AddObject(module, "LockType", reinterpret_cast<PyObject*>(g_lock_type)) < 0) {
    return false;
  }
  return PyModule_AddObject(module, "RLock", reinterpret_cast<PyObject*>(g_rlock_type)) == 0;
}

PyTypeObject* LockType() { return g_lock_type; }
PyTypeObject* RLockType() { return g_rlock_type; }

PyObject* NewSentinel(PyObject* interp_lock) {
  PyObject* self = g_lock_type->tp_alloc(g_lock_type, 0);  // zeroed: no lock of its own, no id
  if (self == nullptr) return nullptr;
  AsLock(self)->kind = LockKind::kLock;
  AsLock(self)->acquire_stack = kNoStack;
  AsLock(self)->interp_lock = Py_NewRef(interp_lock);
  return self;
}

PyObject* NewLock() {
  PyObject* self = g_lock_type->tp_alloc(g_lock_type, 0);
  if (self == nullptr) return nullptr;
  if (!InitFields(AsLock(self), LockKind::kLock)) {
    Py_DECREF(self);
    return nullptr;
  }
  return self;
}

}  // namespace pyrace::py
