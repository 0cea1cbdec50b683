// C++ scope guards (pybind11's gil_scoped_release shape): the GIL is released from the
// guard's construction to its destruction, and a reference-owning object destroyed in
// that scope drops its reference without the GIL.
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
  {
    GilRelease nogil;
    Ref keep(arg);  // expect: gil-not-held
    for (long i = 0; i < 1000; i++) total += i;
  }  // expect: gil-not-held
  return PyLong_FromLong(total);
}

PyMethodDef methods[] = {{"work", work, METH_O, nullptr}, {nullptr, nullptr, 0, nullptr}};
PyModuleDef module = {PyModuleDef_HEAD_INIT, "raii_release_bug", nullptr, -1, methods};

}  // namespace

PyMODINIT_FUNC PyInit_raii_release_bug(void) { return PyModule_Create(&module); }
