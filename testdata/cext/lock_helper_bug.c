// Lock and unlock through helper functions: an error path between them returns with
// the lock held (the helpers' summaries carry the lock into the caller).
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>

typedef struct {
  PyObject_HEAD
  pthread_mutex_t mu;
  PyObject* items;
} Box;

static void box_lock(Box* b) {
  Py_BEGIN_ALLOW_THREADS
  pthread_mutex_lock(&b->mu);
  Py_END_ALLOW_THREADS
}

static void box_unlock(Box* b) { pthread_mutex_unlock(&b->mu); }

static PyObject* box_put(Box* self, PyObject* item) {
  box_lock(self);  // expect: missed-release
  if (PyList_Append(self->items, item) < 0) return NULL;
  box_unlock(self);
  Py_RETURN_NONE;
}

static PyMethodDef box_methods[] = {{"put", (PyCFunction)box_put, METH_O, NULL},
                                    {NULL, NULL, 0, NULL}};
static PyTypeObject BoxType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "lock_helper_bug.Box",
    .tp_basicsize = sizeof(Box),
    .tp_methods = box_methods,
};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "lock_helper_bug", NULL, -1, NULL};
PyMODINIT_FUNC PyInit_lock_helper_bug(void) {
  if (PyType_Ready(&BoxType) < 0) return NULL;
  return PyModule_Create(&module);
}
