// The twin of dtype_release_bug.c: the GIL is released only when the items are not
// objects, so the branch that changes reference counts always runs with the GIL.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

typedef struct {
  int is_object;
  Py_ssize_t itemsize;
} Dtype;

static void fill(char* data, Py_ssize_t n, const Dtype* dt, PyObject* value) {
  PyThreadState* _save = NULL;
  int needs_api = dt->is_object;
  if (!needs_api) _save = PyEval_SaveThread();
  for (Py_ssize_t i = 0; i < n; i++) {
    if (needs_api) {
      PyObject** slot = (PyObject**)(data + i * dt->itemsize);
      Py_INCREF(value);
      Py_XSETREF(*slot, value);
    } else {
      data[i * dt->itemsize] = 0;
    }
  }
  if (_save) PyEval_RestoreThread(_save);
}

static PyObject* zero(PyObject* self, PyObject* args) {
  Py_buffer view;
  int is_object;
  if (!PyArg_ParseTuple(args, "w*p", &view, &is_object)) return NULL;
  Dtype dt = {is_object, is_object ? (Py_ssize_t)sizeof(PyObject*) : 1};
  fill(view.buf, view.len / dt.itemsize, &dt, Py_None);
  PyBuffer_Release(&view);
  Py_RETURN_NONE;
}

static PyMethodDef methods[] = {{"zero", zero, METH_VARARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "dtype_release_ok", NULL, -1, methods};
PyMODINIT_FUNC PyInit_dtype_release_ok(void) { return PyModule_Create(&module); }
