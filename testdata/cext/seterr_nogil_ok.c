// The twin of seterr_nogil_bug.c: errors are raised with the GIL held (after
// Py_END_ALLOW_THREADS or between Py_BLOCK_THREADS / Py_UNBLOCK_THREADS).
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <unistd.h>

static int fail_with_errno(void) {
  PyErr_SetString(PyExc_OSError, "read failed");
  return -1;
}

static PyObject* read_byte(PyObject* self, PyObject* arg) {
  int fd = (int)PyLong_AsLong(arg);
  if (fd == -1 && PyErr_Occurred()) return NULL;
  unsigned char c = 0;
  ssize_t n;
  Py_BEGIN_ALLOW_THREADS
  n = read(fd, &c, 1);
  Py_END_ALLOW_THREADS
  if (n < 0) {
    PyErr_SetString(PyExc_OSError, "read failed");
    return NULL;
  }
  return PyLong_FromLong(c);
}

static PyObject* read_byte_helper(PyObject* self, PyObject* arg) {
  int fd = (int)PyLong_AsLong(arg);
  unsigned char c = 0;
  ssize_t n;
  Py_BEGIN_ALLOW_THREADS
  n = read(fd, &c, 1);
  Py_END_ALLOW_THREADS
  if (n < 0) return fail_with_errno() < 0 ? NULL : Py_None;
  return PyLong_FromLong(c);
}

static PyObject* close_fd(PyObject* self, PyObject* arg) {
  int fd = (int)PyLong_AsLong(arg);
  int rc;
  Py_BEGIN_ALLOW_THREADS
  rc = close(fd);
  if (rc < 0) {
    Py_BLOCK_THREADS
    PyErr_SetFromErrno(PyExc_OSError);
    Py_UNBLOCK_THREADS
  }
  Py_END_ALLOW_THREADS
  if (rc < 0) return NULL;
  Py_RETURN_NONE;
}

static PyMethodDef methods[] = {{"read_byte", read_byte, METH_O, NULL},
                                {"read_byte_helper", read_byte_helper, METH_O, NULL},
                                {"close_fd", close_fd, METH_O, NULL},
                                {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "seterr_nogil_ok", NULL, -1, methods};
PyMODINIT_FUNC PyInit_seterr_nogil_ok(void) { return PyModule_Create(&module); }
