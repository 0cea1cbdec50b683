// Functions and methods that replace the interpreter's own look like them: help(),
// inspect.signature() and code that checks a builtin's __name__ or __doc__ see the
// original's, with or without pyrace.
#pragma once

#include "runtime/python/py_compat.h"

namespace pyrace::py {

// A function running proto's C code in place of `original` (a builtin function, a
// method descriptor or a Python function), with the original's __name__, __doc__ and
// __text_signature__. self is the C function's first argument and, as for any
// builtin, what __self__ and __qualname__ are derived from: a module (or null) for a
// module function, the class for a method wrapped with PyInstanceMethod_New (so its
// __qualname__ is Class.name). module is its __module__ (null: the original's).
// Null with an exception set on failure.
PyObject* NewStandIn(const PyMethodDef& proto, PyObject* self, PyObject* module, PyObject* original);

// module.<def's name> = a stand-in of def bound to module, standing in for the function
// there now (also in os's identity sets, below); *keep = that original, kept for the
// process. Nothing to do when *keep is set already or module has no such function
// (not on this platform or version). false = exception set.
bool ReplaceModuleFunction(PyObject* module, PyMethodDef* def, PyObject** keep);

// A stand-in method's call of what it stands in for: original(self, *args, **kwargs)
// from its own vectorcall arguments, however many there are, so that the original
// parses them and words its own errors.
PyObject* CallWithSelf(PyObject* original, PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                       PyObject* kwnames);

// os names some of its functions by identity (os.supports_fd, supports_dir_fd,
// supports_follow_symlinks, supports_effective_ids: `os.execve in os.supports_fd`):
// a stand-in for one of them takes its place there. False with an exception set.
bool TakeOverOsIdentity(PyObject* original, PyObject* stand_in);

// The docs (and so the text signatures) of a method table that replaces the methods of
// the type `original`, taken from that type's methods of the same names.
void CopyMethodDocs(PyMethodDef* methods, PyObject* original);

// The raw doc (signature line included) of a builtin function or method descriptor,
// null for anything else.
const char* BuiltinDoc(PyObject* obj);

// The raw tp_doc of a type (its signature line included), for a replacement type's
// Py_tp_doc; null when it has none.
const char* RawTypeDoc(PyObject* type);

}  // namespace pyrace::py
