// The _pyrace extension module: types, the module functions that replace _thread's,
// and bootstrap(). Importing it changes nothing; bootstrap() installs the wrappers.
#include "runtime/python/bootstrap.h"
#include "runtime/python/capi_bridge.h"
#include "runtime/python/frame_walk.h"
#include "runtime/python/holders.h"
#include "runtime/python/lock_types.h"
#include "runtime/python/recorder.h"
#include "runtime/python/stand_in.h"
#include "runtime/python/threads.h"
#include "runtime/python/wrappers.h"

namespace pyrace::py {

namespace {

PyObject* g_originals = nullptr;  // what the wrappers replaced, by name

PyObject* AllocateLock(PyObject*, PyObject*) { return NewLock(); }

PyMethodDef g_allocate_lock_def = {"allocate_lock", AllocateLock, METH_NOARGS, nullptr};

// _set_sentinel() (3.10 to 3.12): the interpreter's lock, which it releases when the
// calling thread's state is deleted, standing as a wrapped lock (NewSentinel).
PyObject* g_orig_set_sentinel = nullptr;

PyObject* SetSentinel(PyObject*, PyObject*) {
  PyObject* interp_lock = PyObject_CallNoArgs(g_orig_set_sentinel);
  if (interp_lock == nullptr) return nullptr;
  PyObject* sentinel = NewSentinel(interp_lock);
  Py_DECREF(interp_lock);
  return sentinel;
}

PyMethodDef g_set_sentinel_def = {"_set_sentinel", SetSentinel, METH_NOARGS, nullptr};

bool WrapThreadModuleLocks(PyObject*) {
  PyObject* thread_mod = PyImport_ImportModule("_thread");
  if (thread_mod == nullptr) return false;
  auto* lock_type = reinterpret_cast<PyObject*>(LockType());
  auto* rlock_type = reinterpret_cast<PyObject*>(RLockType());
  bool ok = ReplaceWithStandIn(g_allocate_lock_def, {.owner = thread_mod, .originals = g_originals}) &&
            ReplaceWithStandIn(g_allocate_lock_def, {.owner = thread_mod, .name = "allocate", .originals = g_originals}) &&
            ReplaceAttribute(lock_type, {.owner = thread_mod, .name = "LockType", .originals = g_originals}) &&
            ReplaceAttribute(rlock_type, {.owner = thread_mod, .name = "RLock", .originals = g_originals}) &&
            ReplaceAttribute(lock_type, {.owner = thread_mod, .name = "lock", .originals = g_originals});
  ok = ok && ReplaceWithStandIn(g_set_sentinel_def,
                                {.owner = thread_mod, .keep = &g_orig_set_sentinel, .originals = g_originals});
  Py_DECREF(thread_mod);
  return ok;
}

PyObject* ModuleBootstrap(PyObject* module, PyObject* args) { return Bootstrap(module, args); }
PyObject* ModuleBootstrapChild(PyObject* module, PyObject* args) { return BootstrapChild(module, args); }

PyMethodDef g_methods[] = {
    {"bootstrap", ModuleBootstrap, METH_NOARGS,
     "Run sys.argv[1:] (script.py args... or -m module args...) under the runtime."},
    {"bootstrap_child", ModuleBootstrapChild, METH_NOARGS,
     "Start the runtime in a child process of a program pyrace runs (from sitecustomize)."},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef g_module = {
    PyModuleDef_HEAD_INIT, "_pyrace",
    "pyrace's runtime: wrapped locks, threads and queues that record to a trace.", -1,
    g_methods, nullptr, nullptr, nullptr, nullptr,
};

}  // namespace

bool InstallWrappers(PyObject* module) {
  if (!WrapThreadModuleLocks(module) || !InstallThreadWrappers(module, g_originals) ||
      !InstallQueueWrapper(module, g_originals)) {
    return false;
  }
  // Imported now if python has not already: either way it ends up using the
  // wrapped names (patched below when it bound the originals at an earlier import).
  PyObject* threading = PyImport_ImportModule("threading");
  if (threading == nullptr) return false;
  bool ok = PatchThreading(threading, g_originals);
  Py_DECREF(threading);
  return ok;
}

PyObject* Originals() { return g_originals; }

}  // namespace pyrace::py

PyMODINIT_FUNC PyInit__pyrace() {
  using namespace pyrace::py;
  PyObject* module = PyModule_Create(&g_module);
  if (module == nullptr) return nullptr;
  g_originals = PyDict_New();
  // Named as _thread's own: code that sorts names by __module__ (the stdlib's
  // __all__ checks) must see threading.Lock where it was.
  PyObject* thread_name = PyUnicode_FromString("_thread");
  PyObject* alloc = thread_name != nullptr ? PyCFunction_NewEx(&g_allocate_lock_def, module, thread_name) : nullptr;
  Py_XDECREF(thread_name);
  if (g_originals == nullptr || alloc == nullptr || !CheckFrameLayer(module) || !InitLockTypes(module) ||
      !InitFrameEnd() ||
      !InitCapiBridge(module) ||
      PyModule_AddObject(module, "allocate_lock", alloc) < 0 ||
      PyModule_AddObject(module, "_originals", Py_NewRef(g_originals)) < 0) {
    Py_XDECREF(alloc);
    Py_DECREF(module);
    return nullptr;
  }
  // The importing thread is the main thread: python -c imports it before anything else.
  Recorder& rec = Recorder::Get();
  if (rec.threads().CurrentOrNull() == nullptr) {
    rec.threads().Attach(rec.threads().Create("MainThread", /*daemon=*/false));
  }
  return module;
}
