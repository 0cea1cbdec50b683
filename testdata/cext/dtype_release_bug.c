// A GIL release decided by data: the loop runs without the GIL whenever the buffer is
// large, but for object items it changes reference counts. (NumPy's
// NPY_BEGIN_THREADS_DESCR pattern, gone wrong.)
#define PY_SSIZE_T_CLEAN
#include <Python.h>

typedef struct {
  int is_object;
  Py_ssize_t itemsize;
} Dtype;

static void fill(char* data, Py_ssize_t n, const Dtype* dt, PyObject* value) {
  PyThreadState* _save = NULL;
  int big = n * dt->itemsize > 4096;
  if (big) _save = PyEval_SaveThread();
  for (Py_ssize_t i = 0; i < n; i++) {
    if (dt->is_object) {
      PyObject** slot = (PyObject**)(data + i * dt->itemsize);
      Py_INCREF(value);  // expect: gil-not-held
      Py_XSETREF(*slot, value);  // expect: gil-not-held
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
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "dtype_release_bug", NULL, -1, methods};
PyMODINIT_FUNC PyInit_dtype_release_bug(void) { return PyModule_Create(&module); }
