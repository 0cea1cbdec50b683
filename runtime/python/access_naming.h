// How reports name the objects and keys of recorded accesses: the type's qualified
// name for an attribute's owner, a builtin scalar key by its repr. Never runs user code.
#pragma once

#include <string>

#include "runtime/python/py_compat.h"

namespace pyrace::py {

std::string TypeName(PyTypeObject* t);
// The class of obj, or obj itself when it is a class (class attributes).
std::string OwnerName(PyObject* obj);
// A key as a report shows it: builtin scalars by repr (cut at 40 characters), other
// keys as <TypeName>.
std::string KeyText(PyObject* key);

}  // namespace pyrace::py
