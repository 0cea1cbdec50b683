#include "runtime/python/access_naming.h"

#include "runtime/python/utf8.h"

namespace pyrace::py {

std::string TypeName(PyTypeObject* t) {
  std::string n = t->tp_name;
  if (!(t->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
    size_t dot = n.rfind('.');
    if (dot != std::string::npos) n = n.substr(dot + 1);
    return n;
  }
  PyObject* q = reinterpret_cast<PyHeapTypeObject*>(t)->ht_qualname;
  if (q != nullptr && PyUnicode_Check(q)) {
    const char* s = PyUnicode_AsUTF8(q);
    if (s != nullptr) return s;
    PyErr_Clear();
  }
  return n;
}

std::string OwnerName(PyObject* obj) {
  if (PyType_Check(obj)) return TypeName(reinterpret_cast<PyTypeObject*>(obj));
  return TypeName(Py_TYPE(obj));
}

// Only builtin scalar keys are repr'd: a user type's __repr__ is user code and may do
// anything.
std::string KeyText(PyObject* key) {
  bool plain = PyUnicode_CheckExact(key) || PyLong_CheckExact(key) || PyFloat_CheckExact(key) ||
               PyBytes_CheckExact(key) || PyBool_Check(key) || key == Py_None;
  if (!plain) return "<" + TypeName(Py_TYPE(key)) + ">";
  PyObject* r = PyObject_Repr(key);
  if (r == nullptr) {
    PyErr_Clear();
    return "?";
  }
  std::string s = Utf8(r);
  Py_DECREF(r);
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

}  // namespace pyrace::py
