// The twin of raii_release_bug.cpp: the reference-owning object lives outside the
// guard's scope, so it is created and destroyed with the GIL held.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

namespace {

class GilRelease {
 public:
  GilRelease() : state_(PyEval_SaveThread()) {}
  ~GilRelease() { PyEval_RestoreThread(state_); }

 private:
  PyThreadState* state_;
};

class Ref {
 public:
  explicit Ref(PyObject* o) : o_(o) { Py_XINCREF(o_); }
  ~Ref() { Py_XDECREF(o_); }

 private:
  PyObject* o_;
};

PyObject* work(PyObject*, PyObject* arg) {
  long total = 0;
  Ref keep(arg);
  {
    GilRelease nogil;
    for (long i = 0; i < 1000; i++) total += i;
  }
  return PyLong_FromLong(total);
}

PyMethodDef methods[] = {{"work", work, METH_O, nullptr}, {nullptr, nullptr, 0, nullptr}};
PyModuleDef module = {PyModuleDef_HEAD_INIT, "raii_release_ok", nullptr, -1, methods};

}  // namespace

PyMODINIT_FUNC PyInit_raii_release_ok(void) { return PyModule_Create(&module); }
