// The UTF-8 text of a Python str, for names the runtime records or compares.
#pragma once

#include <string>

#include "runtime/python/py_compat.h"

namespace pyrace::py {

// The text of s, embedded NULs included. Empty for null, for anything but a str and for
// a str UTF-8 cannot encode (a lone surrogate), with the error cleared: every caller
// wants a name or nothing, and an empty name is what each of them already skips or
// prints as missing.
inline std::string Utf8(PyObject* s) {
  if (s == nullptr || !PyUnicode_Check(s)) return {};
  Py_ssize_t n = 0;
  const char* c = PyUnicode_AsUTF8AndSize(s, &n);
  if (c == nullptr) {
    PyErr_Clear();
    return {};
  }
  return std::string(c, static_cast<size_t>(n));
}

}  // namespace pyrace::py
