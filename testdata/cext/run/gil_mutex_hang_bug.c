// gil_mutex_order_bug.c's hang, made certain. Run-time testdata: its expect
// annotations are what `pyrace run` reports (the static lint's view of this pattern is
// gil_mutex_order_bug.c, one directory up).
//
// The C thread takes the mutex, then waits until a Python-called function holds the
// GIL on its way to the same mutex, and only then asks for the GIL. From the moment
// pending_count sets caller_holds_gil it keeps the GIL (nothing in it lets it go), so
// each thread waits for the other forever, whatever the scheduling.
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

static pthread_mutex_t queue_mutex = PTHREAD_MUTEX_INITIALIZER;
static PyObject* callback;
static long pending;
static atomic_int worker_holds_mutex;
static atomic_int caller_holds_gil;

static void* worker(void* arg) {
  pthread_mutex_lock(&queue_mutex);
  pending++;
  atomic_store(&worker_holds_mutex, 1);
  while (!atomic_load(&caller_holds_gil)) usleep(1000);
  PyGILState_STATE st = PyGILState_Ensure();
  if (callback) {
    PyObject* r = PyObject_CallNoArgs(callback);
    Py_XDECREF(r);
  }
  PyGILState_Release(st);
  pthread_mutex_unlock(&queue_mutex);
  return NULL;
}

static PyObject* worker_holds(PyObject* self, PyObject* unused) {
  return PyBool_FromLong(atomic_load(&worker_holds_mutex));
}

static PyObject* pending_count(PyObject* self, PyObject* unused) {
  long n;
  atomic_store(&caller_holds_gil, 1);
  pthread_mutex_lock(&queue_mutex);  // expect: deadlock
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
                                {"worker_holds", worker_holds, METH_NOARGS, NULL},
                                {"start", start, METH_O, NULL},
                                {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "gil_mutex_hang_bug", NULL, -1, methods};
PyMODINIT_FUNC PyInit_gil_mutex_hang_bug(void) { return PyModule_Create(&module); }
