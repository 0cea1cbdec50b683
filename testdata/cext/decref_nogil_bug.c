// Py_DECREF inside an allow-threads region: another thread may be running Python code
// and touching the same object's reference count.
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

static PyObject* checksum(PyObject* self, PyObject* arg) {
  Py_buffer view;
  if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
  PyObject* owner = view.obj;
  Py_INCREF(owner);
  unsigned long sum = 0;
  Py_BEGIN_ALLOW_THREADS
  for (Py_ssize_t i = 0; i < view.len; i++) sum += ((unsigned char*)view.buf)[i];
  Py_DECREF(owner);  // expect: gil-not-held
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&view);
  return PyLong_FromUnsignedLong(sum);
}

static PyMethodDef methods[] = {{"checksum", checksum, METH_O, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "decref_nogil_bug", NULL, -1, methods};
PyMODINIT_FUNC PyInit_decref_nogil_bug(void) { return PyModule_Create(&module); }
