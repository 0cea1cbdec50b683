#pragma once

#include "runtime/python/py_compat.h"

namespace pyrace::py {

// _pyrace.bootstrap(): see bootstrap.cpp.
PyObject* Bootstrap(PyObject* module, PyObject* unused);
// _pyrace.bootstrap_child(): the runtime in a child process of the program, started
// from the runtime directory's sitecustomize (child_follow.h); the interpreter then
// runs the child's program itself.
PyObject* BootstrapChild(PyObject* module, PyObject* unused);

}  // namespace pyrace::py
