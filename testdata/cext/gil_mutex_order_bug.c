// A C thread's callback takes a mutex, then the GIL (PyGILState_Ensure); a function
// called from Python holds the GIL and blocks on the same mutex. Each waits for the other.
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
  pthread_mutex_lock(&queue_mutex);  // expect: lock-order-inversion
  n = pending;
  pthread_mutex_unlock(&queue_mutex);
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
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "gil_mutex_order_bug", NULL, -1, methods};
PyMODINIT_FUNC PyInit_gil_mutex_order_bug(void) { return PyModule_Create(&module); }
