// _queue.SimpleQueue with hand-off events: put -> get is a happens-before edge
// (ThreadPoolExecutor hands work to its workers this way). The wrapper is a subclass
// of the real type, so everything else (pickling errors, weakrefs, GC, generic
// alias) behaves as before; it only adds a SyncId slot after the base's fields.
#include "runtime/python/holders.h"
#include "runtime/python/import_hook.h"
#include "runtime/python/recorder.h"
#include "runtime/python/stand_in.h"
#include "runtime/python/wrappers.h"

namespace pyrace::py {

namespace {

PyTypeObject* g_base = nullptr;
PyObject* g_base_put = nullptr;
PyObject* g_base_get = nullptr;
PyObject* g_base_put_nowait = nullptr;
Py_ssize_t g_sync_offset = 0;

uint64_t SyncIdOf(PyObject* self) {
  auto* slot = reinterpret_cast<uint64_t*>(reinterpret_cast<char*>(self) + g_sync_offset);
  if (*slot == 0) *slot = Recorder::Get().NextSyncId();
  return *slot;
}

bool GetIsTimed(PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames, bool* blocking) {
  PyObject* block = nargs > 0 ? args[0] : nullptr;
  PyObject* timeout = nargs > 1 ? args[1] : nullptr;
  Py_ssize_t nkw = kwnames != nullptr ? PyTuple_GET_SIZE(kwnames) : 0;
  for (Py_ssize_t i = 0; i < nkw; ++i) {
    PyObject* name = PyTuple_GET_ITEM(kwnames, i);
    if (PyUnicode_CompareWithASCIIString(name, "block") == 0) block = args[nargs + i];
    if (PyUnicode_CompareWithASCIIString(name, "timeout") == 0) timeout = args[nargs + i];
  }
  *blocking = block == nullptr || PyObject_IsTrue(block) > 0;
  PyErr_Clear();
  return timeout != nullptr && timeout != Py_None;
}

PyObject* QueuePut(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  StackId stack = CallSiteStack();
  PyObject* res = CallWithSelf(g_base_put, self, args, nargs, kwnames);
  if (res != nullptr) Recorder::Get().Emit(EventKind::kHandoffSend, SyncIdOf(self), 0, 0, stack);
  return res;
}

// The base's own put_nowait parses the arguments (item=... included) and words the errors.
PyObject* QueuePutNowait(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  StackId stack = CallSiteStack();
  PyObject* res = CallWithSelf(g_base_put_nowait, self, args, nargs, kwnames);
  if (res != nullptr) Recorder::Get().Emit(EventKind::kHandoffSend, SyncIdOf(self), 0, 0, stack);
  return res;
}

PyObject* QueueGet(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  StackId stack = CallSiteStack();
  bool blocking = true;
  bool timed = GetIsTimed(args, nargs, kwnames, &blocking);
  uint64_t sync = SyncIdOf(self);
  PyObject* res;
  if (blocking) {
    WaitScope wait(WaitKind::kHandoff, sync, nullptr, timed, stack);
    res = CallWithSelf(g_base_get, self, args, nargs, kwnames);
  } else {
    res = CallWithSelf(g_base_get, self, args, nargs, kwnames);
  }
  if (res != nullptr) Recorder::Get().Emit(EventKind::kHandoffRecv, sync, 0, 0, stack);
  return res;
}

PyObject* QueueGetNowait(PyObject* self, PyObject*) {
  PyObject* no = Py_False;
  return QueueGet(self, &no, 1, nullptr);
}

PyMethodDef g_methods[] = {
    {"put", AsPyCFunction(QueuePut), METH_FASTCALL | METH_KEYWORDS, nullptr},
    {"put_nowait", AsPyCFunction(QueuePutNowait), METH_FASTCALL | METH_KEYWORDS, nullptr},
    {"get", AsPyCFunction(QueueGet), METH_FASTCALL | METH_KEYWORDS, nullptr},
    {"get_nowait", QueueGetNowait, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr},
};

PyType_Slot g_slots[] = {
    {Py_tp_doc, nullptr},  // the base's, set before the type is made
    {Py_tp_methods, g_methods},
    {0, nullptr},
};

PyObject* g_module = nullptr;     // _pyrace, gets SimpleQueue
PyObject* g_originals = nullptr;  // _pyrace._originals

bool WrapSimpleQueue(PyObject* module, PyObject* originals, PyObject* qmod);

// After the program's import of _queue, before queue.py binds its SimpleQueue.
PyObject* InstallOnImport(PyObject* /*self*/, PyObject* /*unused*/) {
  if (g_base != nullptr) Py_RETURN_NONE;
  PyObject* qmod = PyDict_GetItemString(PyImport_GetModuleDict(), "_queue");  // borrowed
  if (qmod == nullptr) Py_RETURN_NONE;
  Py_INCREF(qmod);
  if (!WrapSimpleQueue(g_module, g_originals, qmod)) return nullptr;
  Py_RETURN_NONE;
}

PyMethodDef g_install_def = {"_install_simple_queue", InstallOnImport, METH_NOARGS, nullptr};

}  // namespace

// _queue is wrapped when the program imports it (queue, concurrent.futures and
// multiprocessing do): importing it here would add it to every program's sys.modules.
bool InstallQueueWrapper(PyObject* module, PyObject* originals) {
  g_module = Py_NewRef(module);
  g_originals = Py_NewRef(originals);
  return WhenImported("_queue", &g_install_def);
}

namespace {

// qmod: a new reference, released here.
bool WrapSimpleQueue(PyObject* module, PyObject* originals, PyObject* qmod) {
  g_base = reinterpret_cast<PyTypeObject*>(PyObject_GetAttrString(qmod, "SimpleQueue"));
  if (g_base == nullptr) {
    Py_DECREF(qmod);
    return false;
  }
  g_base_put = PyObject_GetAttrString(reinterpret_cast<PyObject*>(g_base), "put");
  g_base_get = PyObject_GetAttrString(reinterpret_cast<PyObject*>(g_base), "get");
  g_base_put_nowait = PyObject_GetAttrString(reinterpret_cast<PyObject*>(g_base), "put_nowait");
  if (g_base_put == nullptr || g_base_get == nullptr || g_base_put_nowait == nullptr) {
    Py_DECREF(qmod);
    return false;
  }
  g_sync_offset = g_base->tp_basicsize;
  CopyMethodDocs(g_methods, reinterpret_cast<PyObject*>(g_base));
  g_slots[0].pfunc = const_cast<char*>(RawTypeDoc(reinterpret_cast<PyObject*>(g_base)));
  PyType_Spec spec = {"_queue.SimpleQueue", static_cast<int>(g_base->tp_basicsize + sizeof(uint64_t)),
                      0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, g_slots};
  PyObject* type = PyType_FromSpecWithBases(&spec, reinterpret_cast<PyObject*>(g_base));
  if (type == nullptr || PyDict_SetItemString(originals, "SimpleQueue", reinterpret_cast<PyObject*>(g_base)) < 0 ||
      PyObject_SetAttrString(qmod, "SimpleQueue", type) < 0) {
    Py_XDECREF(type);
    Py_DECREF(qmod);
    return false;
  }
  Py_DECREF(qmod);
  // Already imported queue (rare at start-up) keeps the old name otherwise.
  PyObject* modules = PyImport_GetModuleDict();
  PyObject* queue = PyDict_GetItemString(modules, "queue");
  if (queue != nullptr && PyObject_SetAttrString(queue, "SimpleQueue", type) < 0) {
    Py_DECREF(type);
    return false;
  }
  return PyModule_AddObject(module, "SimpleQueue", type) == 0;
}

}  // namespace

}  // namespace pyrace::py
