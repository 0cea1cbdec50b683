// The twin of double_release_bug.c: Py_BLOCK_THREADS / Py_UNBLOCK_THREADS only pair up
// inside the region.
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <unistd.h>

static PyObject* nap(PyObject* self, PyObject* arg) {
  long us = PyLong_AsLong(arg);
  if (us == -1 && PyErr_Occurred()) return NULL;
  Py_BEGIN_ALLOW_THREADS
  usleep((useconds_t)us);
  if (us > 1000) {
    Py_BLOCK_THREADS
    if (PyErr_CheckSignals() < 0) {
      return NULL;
    }
    Py_UNBLOCK_THREADS
  }
  Py_END_ALLOW_THREADS
  Py_RETURN_NONE;
}

static PyMethodDef methods[] = {{"nap", nap, METH_O, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "double_release_ok", NULL, -1, methods};
PyMODINIT_FUNC PyInit_double_release_ok(void) { return PyModule_Create(&module); }
