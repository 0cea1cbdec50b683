// Functions and methods that replace the interpreter's own look like them: help(),
// inspect.signature() and code that checks a builtin's __name__ or __doc__ see the
// original's, with or without pyrace.
#pragma once

#include <initializer_list>

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

// Where a replacement goes, and what is kept of the original it replaces.
struct StandInSite {
  PyObject* owner = nullptr;      // a module, or a class (the stand-in is then a method)
  const char* name = nullptr;     // owner's attribute replaced; null: the def's name
  PyObject** keep = nullptr;      // the original, kept for the process by the first replacement
  PyObject* originals = nullptr;  // the runtime's record of what it replaced: originals[key]
  const char* key = nullptr;      // null: the attribute's name
  // A class's method as a method descriptor, whose C code gets the instance as self:
  // calling it makes no bound method (for methods on a hot path, asyncio's Handle._run).
  bool descriptor = false;
};

// owner.name = a stand-in running def's C code in place of the original: the function
// there now, or *keep once an earlier replacement kept it (so that one function reached
// under two names, posix.pipe and os.pipe, has one original). A module function is bound
// where the original is (os.pipe's __self__ is posix), replaces it there too when it is
// the same function (posix.pipe), and takes the original's place in os's identity sets
// (below); a class's method is bound to the class and wrapped with
// PyInstanceMethod_New (or made a method descriptor of the class), so that its
// __qualname__ is Class.name. Nothing to do when owner
// has no such attribute (not on this platform or version). false = exception set.
bool ReplaceWithStandIn(const PyMethodDef& def, const StandInSite& site);

// One of a module's functions to stand in for: its def and where it goes, whose owner
// ReplaceInModule fills in.
struct ModuleStandIn {
  const PyMethodDef& def;
  StandInSite site;
};

// ReplaceWithStandIn for each of stand_ins, in the module `module` (imported first; the
// runtime imports only modules already loaded or that the program is importing now).
// false = exception set.
bool ReplaceInModule(const char* module, std::initializer_list<ModuleStandIn> stand_ins);

// owner.name = repl (a replacement type, say), the original kept as above; name is
// required.
bool ReplaceAttribute(PyObject* repl, const StandInSite& site);

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
