#include "runtime/python/thread_handle.h"

#include "runtime/python/holders.h"
#include "runtime/python/recorder.h"
#include "runtime/python/threads.h"

namespace pyrace::py {

namespace {

struct HandleObject {
  PyObject_HEAD
  PyObject* handle;  // the real _thread._ThreadHandle
  Tid tid;
};

PyTypeObject* g_handle_type = nullptr;

HandleObject* AsHandle(PyObject* o) { return reinterpret_cast<HandleObject*>(o); }

// The thread's end was seen (join returned, is_done() said so): the join edge.
void NoteEnded(Tid tid, StackId stack) {
  Recorder& rec = Recorder::Get();
  ThreadRec* t = rec.threads().Get(tid);
  if (t != nullptr && !t->alive && rec.recording()) {
    rec.Emit(EventKind::kThreadJoin, tid, 0, 0, stack);
  }
}

PyObject* Forward(PyObject* self, const char* name, PyObject* args, PyObject* kwargs) {
  PyObject* meth = PyObject_GetAttrString(AsHandle(self)->handle, name);
  if (meth == nullptr) return nullptr;
  PyObject* res = PyObject_Call(meth, args, kwargs);
  Py_DECREF(meth);
  return res;
}

bool IsTimed(PyObject* args, PyObject* kwargs) {
  PyObject* timeout = PyTuple_GET_SIZE(args) > 0 ? PyTuple_GET_ITEM(args, 0) : nullptr;
  if (timeout == nullptr && kwargs != nullptr) timeout = PyDict_GetItemString(kwargs, "timeout");
  return timeout != nullptr && timeout != Py_None;
}

PyObject* HandleJoin(PyObject* self, PyObject* args, PyObject* kwargs) {
  Tid tid = AsHandle(self)->tid;
  StackId stack = CallSiteStack();
  PyObject* res;
  {
    WaitScope wait(WaitKind::kJoin, tid, nullptr, IsTimed(args, kwargs), stack);
    res = Forward(self, "join", args, kwargs);
  }
  if (res != nullptr) NoteEnded(tid, stack);
  return res;
}

PyObject* HandleIsDone(PyObject* self, PyObject* args, PyObject* kwargs) {
  PyObject* res = Forward(self, "is_done", args, kwargs);
  if (res == Py_True) NoteEnded(AsHandle(self)->tid, CallSiteStack());
  return res;
}

PyObject* HandleSetDone(PyObject* self, PyObject* args, PyObject* kwargs) {
  return Forward(self, "_set_done", args, kwargs);
}

PyObject* HandleIdent(PyObject* self, void*) {
  return PyObject_GetAttrString(AsHandle(self)->handle, "ident");
}

PyObject* HandleRepr(PyObject* self) { return PyObject_Repr(AsHandle(self)->handle); }

void HandleDealloc(PyObject* self) {
  PyTypeObject* tp = Py_TYPE(self);
  Py_CLEAR(AsHandle(self)->handle);
  tp->tp_free(self);
  Py_DECREF(tp);
}

PyMethodDef g_methods[] = {
    {"join", AsPyCFunction(HandleJoin), METH_VARARGS | METH_KEYWORDS, nullptr},
    {"is_done", AsPyCFunction(HandleIsDone), METH_VARARGS | METH_KEYWORDS, nullptr},
    {"_set_done", AsPyCFunction(HandleSetDone), METH_VARARGS | METH_KEYWORDS, nullptr},
    {nullptr, nullptr, 0, nullptr},
};

PyGetSetDef g_getset[] = {
    {const_cast<char*>("ident"), HandleIdent, nullptr, nullptr, nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyType_Slot g_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(HandleDealloc)},
    {Py_tp_repr, reinterpret_cast<void*>(HandleRepr)},
    {Py_tp_methods, g_methods},
    {Py_tp_getset, g_getset},
    {0, nullptr},
};

PyType_Spec g_spec = {"_thread._ThreadHandle", sizeof(HandleObject), 0, Py_TPFLAGS_DEFAULT, g_slots};

}  // namespace

PyObject* WrapJoinableHandle(PyObject* handle, Tid tid) {
  if (g_handle_type == nullptr) {
    g_handle_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&g_spec));
    if (g_handle_type == nullptr) {
      Py_DECREF(handle);
      return nullptr;
    }
  }
  HandleObject* h = PyObject_New(HandleObject, g_handle_type);
  if (h == nullptr) {
    Py_DECREF(handle);
    return nullptr;
  }
  h->handle = handle;
  h->tid = tid;
  return reinterpret_cast<PyObject*>(h);
}

}  // namespace pyrace::py
