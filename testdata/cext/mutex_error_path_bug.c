// A C mutex left locked on an error path while the GIL is released: the next caller
// blocks forever (with the GIL released, so only that thread hangs, until exit).
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <unistd.h>

typedef struct {
  PyObject_HEAD
  pthread_mutex_t mutex;
  PyThread_type_lock lock;
  int fd;
} Channel;

static PyObject* channel_send(Channel* self, PyObject* arg) {
  Py_buffer view;
  if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
  ssize_t n;
  Py_BEGIN_ALLOW_THREADS
  pthread_mutex_lock(&self->mutex);  // expect: missed-release
  n = write(self->fd, view.buf, (size_t)view.len);
  if (n < 0) {
    Py_BLOCK_THREADS
    PyBuffer_Release(&view);
    PyErr_SetFromErrno(PyExc_OSError);
    return NULL;
  }
  pthread_mutex_unlock(&self->mutex);
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&view);
  return PyLong_FromSsize_t(n);
}

static PyObject* channel_recv(Channel* self, PyObject* unused) {
  char buf[256];
  ssize_t n;
  if (!PyThread_acquire_lock(self->lock, NOWAIT_LOCK)) {  // expect: missed-release
    Py_BEGIN_ALLOW_THREADS
    PyThread_acquire_lock(self->lock, WAIT_LOCK);
    Py_END_ALLOW_THREADS
  }
  Py_BEGIN_ALLOW_THREADS
  n = read(self->fd, buf, sizeof buf);
  Py_END_ALLOW_THREADS
  if (n < 0) return PyErr_SetFromErrno(PyExc_OSError);
  PyThread_release_lock(self->lock);
  return PyBytes_FromStringAndSize(buf, n);
}

static PyMethodDef channel_methods[] = {
    {"send", (PyCFunction)channel_send, METH_O, NULL},
    {"recv", (PyCFunction)channel_recv, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyTypeObject ChannelType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mutex_error_path_bug.Channel",
    .tp_basicsize = sizeof(Channel),
    .tp_methods = channel_methods,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "mutex_error_path_bug", NULL, -1, NULL};
PyMODINIT_FUNC PyInit_mutex_error_path_bug(void) {
  if (PyType_Ready(&ChannelType) < 0) return NULL;
  return PyModule_Create(&module);
}
