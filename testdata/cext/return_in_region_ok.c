// The twin of return_in_region_bug.c: the region is left through Py_END_ALLOW_THREADS
// (or with Py_BLOCK_THREADS before the jump), and a helper that returns the saved
// thread state to its caller is not a leak.
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <unistd.h>

static PyThreadState* begin_blocking(void) { return PyEval_SaveThread(); }
static void end_blocking(PyThreadState* ts) { PyEval_RestoreThread(ts); }

static PyObject* wait_fd(PyObject* self, PyObject* arg) {
  int fd = (int)PyLong_AsLong(arg);
  char buf[64];
  ssize_t n;
  Py_BEGIN_ALLOW_THREADS
  n = read(fd, buf, sizeof buf);
  Py_END_ALLOW_THREADS
  if (n == 0) return NULL;
  return PyLong_FromSsize_t(n);
}

static PyObject* drain_fd(PyObject* self, PyObject* arg) {
  int fd = (int)PyLong_AsLong(arg);
  char buf[64];
  ssize_t total = 0, n;
  Py_BEGIN_ALLOW_THREADS
  for (;;) {
    n = read(fd, buf, sizeof buf);
    if (n < 0) {
      Py_BLOCK_THREADS
      goto error;
    }
    if (n == 0) break;
    total += n;
  }
  Py_END_ALLOW_THREADS
  return PyLong_FromSsize_t(total);
error:
  PyErr_SetFromErrno(PyExc_OSError);
  return NULL;
}

static PyObject* sleep_a_bit(PyObject* self, PyObject* unused) {
  PyThreadState* ts = begin_blocking();
  usleep(1000);
  end_blocking(ts);
  Py_RETURN_NONE;
}

static PyMethodDef methods[] = {{"wait_fd", wait_fd, METH_O, NULL},
                                {"drain_fd", drain_fd, METH_O, NULL},
                                {"sleep_a_bit", sleep_a_bit, METH_NOARGS, NULL},
                                {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "return_in_region_ok", NULL, -1, methods};
PyMODINIT_FUNC PyInit_return_in_region_ok(void) { return PyModule_Create(&module); }
