// Not a hang: a Python-called function computes in C with the GIL held for longer
// than the watchdog's grace period, while a C thread keeps waiting for the GIL
// (PyGILState_Ensure) to count calls. The watchdog cannot get the GIL meanwhile, but
// no thread blocks with it, so the GIL monitor sees nothing stuck.
// Run-time testdata: no finding at all.
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

static atomic_int stop;
static atomic_long entries;
static pthread_t caller;

static void* gil_caller(void* arg) {
  while (!atomic_load(&stop)) {
    PyGILState_STATE st = PyGILState_Ensure();
    atomic_fetch_add(&entries, 1);
    PyGILState_Release(st);
    usleep(1000);
  }
  return NULL;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// Spins for `seconds` with the GIL held.
static PyObject* busy(PyObject* self, PyObject* arg) {
  double seconds = PyFloat_AsDouble(arg);
  if (seconds == -1.0 && PyErr_Occurred()) return NULL;
  volatile unsigned long x = 0;
  double end = now_s() + seconds;
  while (now_s() < end) x += 1;
  return PyLong_FromUnsignedLong(x);
}

static PyObject* start(PyObject* self, PyObject* unused) {
  if (pthread_create(&caller, NULL, gil_caller, NULL) != 0) return PyErr_NoMemory();
  Py_RETURN_NONE;
}

static PyObject* finish(PyObject* self, PyObject* unused) {
  atomic_store(&stop, 1);
  Py_BEGIN_ALLOW_THREADS
  pthread_join(caller, NULL);
  Py_END_ALLOW_THREADS
  return PyLong_FromLong(atomic_load(&entries));
}

static PyMethodDef methods[] = {{"busy", busy, METH_O, NULL},
                                {"start", start, METH_NOARGS, NULL},
                                {"finish", finish, METH_NOARGS, NULL},
                                {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "gil_busy_ok", NULL, -1, methods};
PyMODINIT_FUNC PyInit_gil_busy_ok(void) { return PyModule_Create(&module); }
