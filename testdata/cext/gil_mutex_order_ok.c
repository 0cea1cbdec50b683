// The twin of gil_mutex_order_bug.c: the Python-called function releases the GIL while
// it blocks on the mutex, so the mutex is never waited for with the GIL held.
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>

static pthread_mutex_t queue_mutex = PTHREAD_MUTEX_INITIALIZER;
static PyObject* callback;
static long pending;

static void* worker(void* arg) {
  pthread_mutex_lock(&queue_mutex);
  pending++;
  PyGILState_STATE st = PyGILState_Ensure();
  if (callback) {
    PyObject* r = PyObject_CallNoArgs(callback);
    Py_XDECREF(r);
  }
  PyGILState_Release(st);
  pthread_mutex_unlock(&queue_mutex);
  return NULL;
}

static PyObject* pending_count(PyObject* self, PyObject* unused) {
  long n;
  Py_BEGIN_ALLOW_THREADS
  pthread_mutex_lock(&queue_mutex);
  n = pending;
  pthread_mutex_unlock(&queue_mutex);
  Py_END_ALLOW_THREADS
  return PyLong_FromLong(n);
}

static PyObject* start(PyObject* self, PyObject* cb) {
  pthread_t t;
  Py_XSETREF(callback, Py_NewRef(cb));
  if (pthread_create(&t, NULL, worker, NULL) != 0) return PyErr_NoMemory();
  pthread_detach(t);
  Py_RETURN_NONE;
}

static PyMethodDef methods[] = {{"pending_count", pending_count, METH_NOARGS, NULL},
                                {"start", start, METH_O, NULL},
                                {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "gil_mutex_order_ok", NULL, -1, methods};
PyMODINIT_FUNC PyInit_gil_mutex_order_ok(void) { return PyModule_Create(&module); }
