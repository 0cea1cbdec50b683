// An extension's own spin lock described to pyrace with runtime/capi/pyrace_annotations.h:
// under the pass plugin the annotations become lock events at these lines.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "../../runtime/capi/pyrace_annotations.h"

static int spin;
static long counter;

static void spin_lock(int* s) {
  pyrace_mutex_pre_lock(s, 0);
  while (__atomic_exchange_n(s, 1, __ATOMIC_ACQUIRE)) {
  }
  pyrace_mutex_post_lock(s, 0, 1);
}

static void spin_unlock(int* s) {
  pyrace_mutex_pre_unlock(s);
  __atomic_store_n(s, 0, __ATOMIC_RELEASE);
}

static PyObject* bump(PyObject* self, PyObject* unused) {
  long v;
  Py_BEGIN_ALLOW_THREADS
  spin_lock(&spin);
  v = ++counter;
  spin_unlock(&spin);
  Py_END_ALLOW_THREADS
  return PyLong_FromLong(v);
}

static PyMethodDef methods[] = {{"bump", bump, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "annotated_lock_ok", NULL, -1, methods};
PyMODINIT_FUNC PyInit_annotated_lock_ok(void) {
  pyrace_mutex_create(&spin);
  return PyModule_Create(&module);
}
