// A detached C thread that never holds the GIL and keeps locking its own mutex while
// the interpreter exits. During finalization 3.11 deletes the GIL-state key, after
// which PyGILState_Check() says "held" on every thread: the bridge must not take this
// thread for a GIL holder (capture a Python stack, abort in PyThreadState_Get).
// Run-time testdata: no finding, exit 0.
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void* worker(void* arg) {
  for (;;) {
    pthread_mutex_lock(&mu);
    counter++;
    pthread_mutex_unlock(&mu);
    usleep(50);
  }
  return NULL;
}

static PyObject* start(PyObject* self, PyObject* unused) {
  pthread_t t;
  if (pthread_create(&t, NULL, worker, NULL) != 0) return PyErr_NoMemory();
  pthread_detach(t);
  Py_RETURN_NONE;
}

static PyMethodDef methods[] = {{"start", start, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "daemon_mutex_ok", NULL, -1, methods};
PyMODINIT_FUNC PyInit_daemon_mutex_ok(void) { return PyModule_Create(&module); }
