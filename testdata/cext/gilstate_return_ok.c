// The twin of gilstate_return_bug.c: every path out of the callback releases the GIL
// state, and nothing touches Python objects before PyGILState_Ensure.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject* handler;

static int on_event(void* data, int code) {
  int rc = -1;
  PyGILState_STATE st = PyGILState_Ensure();
  if (handler == NULL) goto done;
  PyObject* r = PyObject_CallFunction(handler, "i", code);
  if (r == NULL) {
    PyErr_Print();
    goto done;
  }
  Py_DECREF(r);
  rc = 0;
done:
  PyGILState_Release(st);
  return rc;
}

static int on_close(void* data) {
  PyGILState_STATE st = PyGILState_Ensure();
  Py_CLEAR(handler);
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
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "gilstate_return_ok", NULL, -1, methods};
PyMODINIT_FUNC PyInit_gilstate_return_ok(void) { return PyModule_Create(&module); }
