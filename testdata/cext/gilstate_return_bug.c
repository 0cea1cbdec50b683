// A callback run from a C library's thread takes the GIL with PyGILState_Ensure and
// returns early without PyGILState_Release: the thread keeps the GIL forever.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject* handler;

static int on_event(void* data, int code) {
  PyGILState_STATE st = PyGILState_Ensure();
  if (handler == NULL) return -1;  // expect: gil-state-leak
  PyObject* r = PyObject_CallFunction(handler, "i", code);
  if (r == NULL) {
    PyErr_Print();
    PyGILState_Release(st);
    return -1;
  }
  Py_DECREF(r);
  PyGILState_Release(st);
  return 0;
}

static int on_close(void* data) {
  Py_XDECREF(handler);  // expect: gil-not-held
  PyGILState_STATE st = PyGILState_Ensure();
  handler = NULL;
  PyGILState_Release(st);
  return 0;
}

static PyObject* set_handler(PyObject* self, PyObject* h) {
  Py_XSETREF(handler, Py_NewRef(h));
  Py_RETURN_NONE;
}

static PyObject* fire(PyObject* self, PyObject* arg) {
  int code = (int)PyLong_AsLong(arg);
  int rc;
  Py_BEGIN_ALLOW_THREADS
  rc = on_event(NULL, code);
  if (code < 0) on_close(NULL);
  Py_END_ALLOW_THREADS
  return PyLong_FromLong(rc);
}

static PyMethodDef methods[] = {{"set_handler", set_handler, METH_O, NULL},
                                {"fire", fire, METH_O, NULL},
                                {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "gilstate_return_bug", NULL, -1, methods};
PyMODINIT_FUNC PyInit_gilstate_return_bug(void) { return PyModule_Create(&module); }
