// The call-heavy extension of the pass plugin's overhead bar: every call creates and drops
// objects (a tuple of two ints, a list append/pop), so refcount and C-API hooks fire
// about a dozen times a call.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject* churn(PyObject* self, PyObject* arg) {
  long v = PyLong_AsLong(arg);
  if (v == -1 && PyErr_Occurred()) return NULL;
  PyObject* a = PyLong_FromLong(v);
  PyObject* b = PyLong_FromLong(v + 1);
  if (!a || !b) goto fail;
  PyObject* t = PyTuple_Pack(2, a, b);
  if (!t) goto fail;
  Py_INCREF(t);
  Py_DECREF(t);
  PyObject* r = PyNumber_Add(a, b);
  Py_DECREF(t);
  Py_DECREF(a);
  Py_DECREF(b);
  return r;
fail:
  Py_XDECREF(a);
  Py_XDECREF(b);
  return NULL;
}

static PyMethodDef methods[] = {{"churn", churn, METH_O, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "callheavy", NULL, -1, methods};
PyMODINIT_FUNC PyInit_callheavy(void) { return PyModule_Create(&module); }
