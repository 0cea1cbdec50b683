#pragma once

#include "runtime/python/py_compat.h"

namespace pyrace::py {

// _pyrace.bootstrap(): see bootstrap.cpp.
PyObject* Bootstrap(PyObject* module, PyObject* unused);

}  // namespace pyrace::py
