// A `return` (and a `goto`) out of an allow-threads region: the thread state saved by
// Py_BEGIN_ALLOW_THREADS is lost and the caller runs Python code without the GIL.
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <unistd.h>

static PyObject* wait_fd(PyObject* self, PyObject* arg) {
  int fd = (int)PyLong_AsLong(arg);
  char buf[64];
  ssize_t n;
  Py_BEGIN_ALLOW_THREADS
  n = read(fd, buf, sizeof buf);
  if (n == 0) return NULL;  // expect: gil-state-leak
  Py_END_ALLOW_THREADS
  return PyLong_FromSsize_t(n);
}

static PyObject* drain_fd(PyObject* self, PyObject* arg) {
  int fd = (int)PyLong_AsLong(arg);
  char buf[64];
  ssize_t total = 0, n;
  Py_BEGIN_ALLOW_THREADS
  for (;;) {
    n = read(fd, buf, sizeof buf);
    if (n < 0) goto error;  // expect: gil-state-leak
    if (n == 0) break;
    total += n;
  }
  Py_END_ALLOW_THREADS
  return PyLong_FromSsize_t(total);
error:
  PyErr_SetFromErrno(PyExc_OSError);
  return NULL;
}

static PyMethodDef methods[] = {{"wait_fd", wait_fd, METH_O, NULL},
                                {"drain_fd", drain_fd, METH_O, NULL},
                                {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "return_in_region_bug", NULL, -1, methods};
PyMODINIT_FUNC PyInit_return_in_region_bug(void) { return PyModule_Create(&module); }
