// A C mutex handed out by lock/unlock helpers that let the GIL go while they block.
// Run-time testdata: whether it hangs depends on the driver (the e2e test
// CThreadWaitAndPythonLockCycle makes a cycle of this mutex and a Python lock, with
// the primary location in the driver).
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;

static PyObject* take(PyObject* self, PyObject* unused) {
  Py_BEGIN_ALLOW_THREADS
  pthread_mutex_lock(&mutex);
  Py_END_ALLOW_THREADS
  Py_RETURN_NONE;
}

static PyObject* give(PyObject* self, PyObject* unused) {
  pthread_mutex_unlock(&mutex);
  Py_RETURN_NONE;
}

static PyMethodDef methods[] = {{"take", take, METH_NOARGS, NULL},
                                {"give", give, METH_NOARGS, NULL},
                                {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "mutex_helpers", NULL, -1, methods};
PyMODINIT_FUNC PyInit_mutex_helpers(void) { return PyModule_Create(&module); }
