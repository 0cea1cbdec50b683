// The twin of mutex_error_path_bug.c: the mutex is released before every return, and a
// lock helper that returns with the lock held for its caller is not a leak.
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

static int channel_enter(Channel* self) {
  if (!PyThread_acquire_lock(self->lock, NOWAIT_LOCK)) {
    Py_BEGIN_ALLOW_THREADS
    PyThread_acquire_lock(self->lock, WAIT_LOCK);
    Py_END_ALLOW_THREADS
  }
  return 0;
}

static PyObject* channel_send(Channel* self, PyObject* arg) {
  Py_buffer view;
  if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
  ssize_t n;
  Py_BEGIN_ALLOW_THREADS
  pthread_mutex_lock(&self->mutex);
  n = write(self->fd, view.buf, (size_t)view.len);
  pthread_mutex_unlock(&self->mutex);
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&view);
  if (n < 0) return PyErr_SetFromErrno(PyExc_OSError);
  return PyLong_FromSsize_t(n);
}

static PyObject* channel_recv(Channel* self, PyObject* unused) {
  char buf[256];
  ssize_t n;
  if (!PyThread_acquire_lock(self->lock, NOWAIT_LOCK)) {
    Py_BEGIN_ALLOW_THREADS
    PyThread_acquire_lock(self->lock, WAIT_LOCK);
    Py_END_ALLOW_THREADS
  }
  Py_BEGIN_ALLOW_THREADS
  n = read(self->fd, buf, sizeof buf);
  Py_END_ALLOW_THREADS
  PyThread_release_lock(self->lock);
  if (n < 0) return PyErr_SetFromErrno(PyExc_OSError);
  return PyBytes_FromStringAndSize(buf, n);
}

static PyObject* channel_try(Channel* self, PyObject* unused) {
  int r = pthread_mutex_trylock(&self->mutex);
  if (r != 0) Py_RETURN_FALSE;
  pthread_mutex_unlock(&self->mutex);
  channel_enter(self);
  PyThread_release_lock(self->lock);
  Py_RETURN_TRUE;
}

static PyMethodDef channel_methods[] = {
    {"send", (PyCFunction)channel_send, METH_O, NULL},
    {"recv", (PyCFunction)channel_recv, METH_NOARGS, NULL},
    {"try_lock", (PyCFunction)channel_try, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyTypeObject ChannelType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mutex_error_path_ok.Channel",
    .tp_basicsize = sizeof(Channel),
    .tp_methods = channel_methods,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "mutex_error_path_ok", NULL, -1, NULL};
PyMODINIT_FUNC PyInit_mutex_error_path_ok(void) {
  if (PyType_Ready(&ChannelType) < 0) return NULL;
  return PyModule_Create(&module);
}
