// The GIL released twice (Py_UNBLOCK_THREADS inside Py_BEGIN_ALLOW_THREADS: the first
// thread state is overwritten and lost) and taken twice (PyEval_RestoreThread on a
// thread that already holds the GIL blocks forever).
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <unistd.h>

static PyObject* nap(PyObject* self, PyObject* arg) {
  long us = PyLong_AsLong(arg);
  if (us == -1 && PyErr_Occurred()) return NULL;
  Py_BEGIN_ALLOW_THREADS
  if (us > 1000) {
    Py_UNBLOCK_THREADS  // expect: gil-state-leak
  }
  usleep((useconds_t)us);
  Py_END_ALLOW_THREADS
  Py_RETURN_NONE;
}

static PyObject* nap2(PyObject* self, PyObject* arg) {
  long us = PyLong_AsLong(arg);
  PyThreadState* ts = PyEval_SaveThread();
  usleep((useconds_t)us);
  PyEval_RestoreThread(ts);
  if (us < 0) {
    PyEval_RestoreThread(ts);  // expect: gil-state-leak
  }
  Py_RETURN_NONE;
}

static PyMethodDef methods[] = {{"nap", nap, METH_O, NULL}, {"nap2", nap2, METH_O, NULL},
                                {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "double_release_bug", NULL, -1, methods};
PyMODINIT_FUNC PyInit_double_release_bug(void) { return PyModule_Create(&module); }
