// Not a hang: a Python-called function blocks on a mutex with the GIL held (well
// past the watchdog's grace period) while a C thread that holds the mutex sleeps and
// never asks for the GIL; it then lets the mutex go and everything finishes. The GIL
// monitor looks (the watchdog cannot get the GIL), finds no cycle, and stays silent.
// Run-time testdata: the lock is never taken in the other order, so no finding at all.
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static atomic_int holder_has_mutex;
static long value;

static void* slow_holder(void* arg) {
  pthread_mutex_lock(&mutex);
  atomic_store(&holder_has_mutex, 1);
  usleep(2500 * 1000);
  value = 42;
  pthread_mutex_unlock(&mutex);
  return NULL;
}

static PyObject* start(PyObject* self, PyObject* unused) {
  pthread_t t;
  if (pthread_create(&t, NULL, slow_holder, NULL) != 0) return PyErr_NoMemory();
  pthread_detach(t);
  while (!atomic_load(&holder_has_mutex)) usleep(1000);
  Py_RETURN_NONE;
}

static PyObject* read_value(PyObject* self, PyObject* unused) {
  long n;
  pthread_mutex_lock(&mutex);
  n = value;
  pthread_mutex_unlock(&mutex);
  return PyLong_FromLong(n);
}

static PyMethodDef methods[] = {{"start", start, METH_NOARGS, NULL},
                                {"read_value", read_value, METH_NOARGS, NULL},
                                {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "slow_holder_ok", NULL, -1, methods};
PyMODINIT_FUNC PyInit_slow_holder_ok(void) { return PyModule_Create(&module); }
