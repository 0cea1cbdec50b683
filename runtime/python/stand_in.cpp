#include "runtime/python/stand_in.h"

#include <cstring>
#include <string>
#include <vector>

namespace pyrace::py {

namespace {

// The PyMethodDef behind a builtin function or method descriptor, null otherwise.
const PyMethodDef* BuiltinDef(PyObject* obj) {
  if (PyCFunction_Check(obj)) return reinterpret_cast<PyCFunctionObject*>(obj)->m_ml;
  if (Py_IS_TYPE(obj, &PyMethodDescr_Type)) return reinterpret_cast<PyMethodDescrObject*>(obj)->d_method;
  return nullptr;
}

// Strings a stand-in's PyMethodDef points to live as long as the process: the
// function objects made from it are installed for good.
const char* Keep(const std::string& s) { return strdup(s.c_str()); }

// "name($module, ...)": a module function's signature line names its module as the
// bound first parameter, which inspect drops because __self__ is that module. A
// stand-in bound to something else drops it here instead, with the "/" that made it
// positional-only when nothing else was: exactly the parameters inspect shows plainly.
std::string WithoutModuleParam(const char* doc) {
  std::string d(doc);
  size_t open = d.find('(');
  size_t end = d.find(")\n--\n\n");
  if (open == std::string::npos || end == std::string::npos || d.compare(open + 1, 7, "$module") != 0) return d;
  size_t after = open + 8;  // past "$module"
  if (d.compare(after, 4, ", /)") == 0) return d.substr(0, open + 1) + d.substr(after + 3);
  if (d.compare(after, 5, ", /, ") == 0) return d.substr(0, open + 1) + d.substr(after + 5);
  if (d.compare(after, 2, ", ") == 0) return d.substr(0, open + 1) + d.substr(after + 2);
  return d.substr(0, open + 1) + d.substr(after);
}

// The signature line of a Python function as a builtin's doc carries it:
// "name(a, b=1, *args, c, **kw)\n--\n\n" (defaults by repr, which the text-signature
// parser reads back for the literals the wrapped functions use). bound_first marks the
// first parameter as the one a method descriptor binds ("$self"), which inspect drops
// from the bound method's signature as it drops self plainly.
bool PythonSignatureLine(PyObject* fn, const char* name, bool bound_first, std::string* out) {
  PyObject* code_obj = PyObject_GetAttrString(fn, "__code__");
  if (code_obj == nullptr || !PyCode_Check(code_obj)) {
    Py_XDECREF(code_obj);
    PyErr_Clear();
    return false;
  }
  auto* code = reinterpret_cast<PyCodeObject*>(code_obj);
  PyObject* names = PyObject_GetAttrString(code_obj, "co_varnames");
  PyObject* defaults = PyObject_GetAttrString(fn, "__defaults__");
  PyObject* kwdefaults = PyObject_GetAttrString(fn, "__kwdefaults__");
  bool ok = names != nullptr && PyTuple_Check(names) && defaults != nullptr && kwdefaults != nullptr;
  std::string sig = std::string(name) + "(";
  int argc = code->co_argcount, posonly = code->co_posonlyargcount, kwonly = code->co_kwonlyargcount;
  Py_ssize_t ndef = ok && PyTuple_Check(defaults) ? PyTuple_GET_SIZE(defaults) : 0;
  bool first = true;
  auto add = [&](const std::string& s) {
    sig += (first ? "" : ", ") + s;
    first = false;
  };
  auto with_default = [&](PyObject* pname, PyObject* value) {
    std::string s = PyUnicode_AsUTF8(pname);
    if (value != nullptr) {
      PyObject* r = PyObject_Repr(value);
      if (r == nullptr) {
        ok = false;
        return s;
      }
      // A repr such as <SocketKind.SOCK_STREAM: 1> reads back as no value: no
      // signature line then, rather than one inspect cannot parse.
      const char* text = PyUnicode_AsUTF8(r);
      if (text == nullptr || text[0] == '<') ok = false;
      else s += "=" + std::string(text);
      Py_DECREF(r);
    }
    return s;
  };
  for (int i = 0; ok && i < argc; ++i) {
    PyObject* value = i >= argc - ndef ? PyTuple_GET_ITEM(defaults, i - (argc - ndef)) : nullptr;
    add((i == 0 && bound_first ? "$" : "") + with_default(PyTuple_GET_ITEM(names, i), value));
    if (i + 1 == posonly) add("/");
  }
  int next = argc + kwonly;
  if (ok && (code->co_flags & CO_VARARGS)) {
    add("*" + std::string(PyUnicode_AsUTF8(PyTuple_GET_ITEM(names, next))));
    ++next;
  } else if (ok && kwonly > 0) {
    add("*");
  }
  for (int i = argc; ok && i < argc + kwonly; ++i) {
    PyObject* pname = PyTuple_GET_ITEM(names, i);
    PyObject* value = PyDict_Check(kwdefaults) ? PyDict_GetItem(kwdefaults, pname) : nullptr;
    add(with_default(pname, value));
  }
  if (ok && (code->co_flags & CO_VARKEYWORDS)) add("**" + std::string(PyUnicode_AsUTF8(PyTuple_GET_ITEM(names, next))));
  Py_XDECREF(names);
  Py_XDECREF(defaults);
  Py_XDECREF(kwdefaults);
  Py_DECREF(code_obj);
  if (!ok) {
    PyErr_Clear();
    return false;
  }
  *out = sig + ")\n--\n\n";
  return true;
}

// proto with original's name and doc (its signature line included); null with an
// exception set. It lives as long as the function made from it: for good.
PyMethodDef* StandInDef(const PyMethodDef& proto, bool module_bound, bool descriptor, PyObject* original) {
  auto* def = new PyMethodDef(proto);
  if (const PyMethodDef* orig = BuiltinDef(original)) {
    def->ml_name = orig->ml_name;
    def->ml_doc = orig->ml_doc;
    if (orig->ml_doc != nullptr && !module_bound) def->ml_doc = Keep(WithoutModuleParam(orig->ml_doc));
  } else if (PyFunction_Check(original)) {
    PyObject* name = PyObject_GetAttrString(original, "__name__");
    PyObject* doc = PyObject_GetAttrString(original, "__doc__");
    if (name == nullptr || doc == nullptr || !PyUnicode_Check(name)) {
      Py_XDECREF(name);
      Py_XDECREF(doc);
      delete def;
      return nullptr;
    }
    def->ml_name = Keep(PyUnicode_AsUTF8(name));
    std::string text;
    if (!PythonSignatureLine(original, def->ml_name, descriptor, &text)) text.clear();
    if (PyUnicode_Check(doc)) text += PyUnicode_AsUTF8(doc);
    def->ml_doc = text.empty() ? nullptr : Keep(text);
    Py_DECREF(name);
    Py_DECREF(doc);
  }
  return def;
}

}  // namespace

PyObject* NewStandIn(const PyMethodDef& proto, PyObject* self, PyObject* module, PyObject* original) {
  PyMethodDef* def = StandInDef(proto, self != nullptr && PyModule_Check(self), false, original);
  if (def == nullptr) return nullptr;
  PyObject* mod = module;
  if (mod == nullptr) {
    mod = PyObject_GetAttrString(original, "__module__");
    if (mod == nullptr) PyErr_Clear();
  } else {
    Py_INCREF(mod);
  }
  PyObject* fn = PyCFunction_NewEx(def, self, mod);
  Py_XDECREF(mod);
  return fn;
}

bool TakeOverOsIdentity(PyObject* original, PyObject* stand_in) {
  static const char* const kSets[] = {"supports_fd", "supports_dir_fd", "supports_follow_symlinks",
                                      "supports_effective_ids"};
  PyObject* os = PyImport_ImportModule("os");
  if (os == nullptr) return false;
  bool ok = true;
  for (const char* name : kSets) {
    PyObject* set = PyObject_GetAttrString(os, name);
    if (set == nullptr) {
      PyErr_Clear();  // not on this platform
      continue;
    }
    if (PySet_Check(set)) {
      int had = PySet_Discard(set, original);
      ok = had >= 0 && (had == 0 || PySet_Add(set, stand_in) == 0);
    }
    Py_DECREF(set);
    if (!ok) break;
  }
  Py_DECREF(os);
  return ok;
}

namespace {

const char* AttrName(const PyMethodDef& def, const StandInSite& site) {
  return site.name != nullptr ? site.name : def.ml_name;
}

// The original at site (new reference): *keep once kept, else owner's attribute now;
// null, with no exception, when owner has none.
PyObject* OriginalAt(const char* name, const StandInSite& site) {
  if (site.keep != nullptr && *site.keep != nullptr) return Py_NewRef(*site.keep);
  PyObject* orig = PyObject_GetAttrString(site.owner, name);
  if (orig == nullptr) PyErr_Clear();
  return orig;
}

bool KeepOriginal(PyObject* orig, const char* name, const StandInSite& site) {
  if (site.keep != nullptr && *site.keep == nullptr) *site.keep = Py_NewRef(orig);
  if (site.originals == nullptr) return true;
  const char* key = site.key != nullptr ? site.key : name;
  return PyDict_GetItemString(site.originals, key) != nullptr || PyDict_SetItemString(site.originals, key, orig) == 0;
}

// owner.name = value, also where owner is a type the program cannot change (the
// interpreter's own _io.FileIO, _ssl._SSLSocket): there through its dict, then the
// type's method cache is told.
bool SetAttr(PyObject* owner, const char* name, PyObject* value) {
  auto* type = PyType_Check(owner) ? reinterpret_cast<PyTypeObject*>(owner) : nullptr;
  if (type == nullptr || !(PyType_GetFlags(type) & Py_TPFLAGS_IMMUTABLETYPE) || type->tp_dict == nullptr) {
    return PyObject_SetAttrString(owner, name, value) == 0;
  }
  if (PyDict_SetItemString(type->tp_dict, name, value) != 0) return false;
  PyType_Modified(type);
  return true;
}

}  // namespace

bool ReplaceAttribute(PyObject* repl, const StandInSite& site) {
  const char* name = site.name;
  PyObject* orig = OriginalAt(name, site);
  if (orig == nullptr) return true;
  const bool ok = KeepOriginal(orig, name, site) && SetAttr(site.owner, name, repl);
  Py_DECREF(orig);
  return ok;
}

bool ReplaceWithStandIn(const PyMethodDef& def, const StandInSite& site) {
  const char* name = AttrName(def, site);
  PyObject* orig = OriginalAt(name, site);
  if (orig == nullptr) return true;
  const bool method = PyType_Check(site.owner);
  PyObject* self = site.owner;
  if (!method && PyCFunction_Check(orig) && PyCFunction_GET_SELF(orig) != nullptr &&
      PyModule_Check(PyCFunction_GET_SELF(orig))) {
    self = PyCFunction_GET_SELF(orig);
  }
  PyObject* repl = nullptr;
  if (method && site.descriptor) {
    PyMethodDef* descr_def = StandInDef(def, false, true, orig);
    repl = descr_def != nullptr ? PyDescr_NewMethod(reinterpret_cast<PyTypeObject*>(site.owner), descr_def) : nullptr;
  } else {
    PyObject* fn = NewStandIn(def, self, nullptr, orig);
    repl = fn != nullptr && method ? PyInstanceMethod_New(fn) : Py_XNewRef(fn);
    Py_XDECREF(fn);
  }
  bool ok = repl != nullptr && KeepOriginal(orig, name, site) && (method || TakeOverOsIdentity(orig, repl)) &&
             SetAttr(site.owner, name, repl);
  // The module the original comes from (posix, for os.pipe) gets the same stand-in, so
  // that the two names are one function still and a call through either is seen.
  if (ok && self != site.owner) {
    PyObject* there = PyObject_GetAttrString(self, name);
    if (there == nullptr) PyErr_Clear();
    ok = there != orig || PyObject_SetAttrString(self, name, repl) == 0;
    Py_XDECREF(there);
  }
  Py_XDECREF(repl);
  Py_DECREF(orig);
  return ok;
}

bool ReplaceInModule(const char* module, std::initializer_list<ModuleStandIn> stand_ins) {
  PyObject* mod = PyImport_ImportModule(module);
  if (mod == nullptr) return false;
  bool ok = true;
  for (const ModuleStandIn& s : stand_ins) {
    StandInSite site = s.site;
    site.owner = mod;
    ok = ok && ReplaceWithStandIn(s.def, site);
  }
  Py_DECREF(mod);
  return ok;
}

void CopyMethodDocs(PyMethodDef* methods, PyObject* original) {
  for (PyMethodDef* m = methods; m->ml_name != nullptr; ++m) {
    PyObject* attr = PyObject_GetAttrString(original, m->ml_name);
    if (attr == nullptr) {
      PyErr_Clear();
      continue;
    }
    if (BuiltinDef(attr) != nullptr) m->ml_doc = BuiltinDoc(attr);
    Py_DECREF(attr);
  }
}

const char* BuiltinDoc(PyObject* obj) {
  const PyMethodDef* def = BuiltinDef(obj);
  return def != nullptr ? def->ml_doc : nullptr;
}

const char* RawTypeDoc(PyObject* type) {
  return PyType_Check(type) ? reinterpret_cast<PyTypeObject*>(type)->tp_doc : nullptr;
}

PyObject* CallWithSelf(PyObject* original, PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                       PyObject* kwnames) {
  const Py_ssize_t n = nargs + (kwnames != nullptr ? PyTuple_GET_SIZE(kwnames) : 0);
  PyObject* small[8];
  std::vector<PyObject*> big;
  PyObject** all = small;
  if (n + 1 > 8) {
    big.resize(static_cast<size_t>(n) + 1);
    all = big.data();
  }
  all[0] = self;
  for (Py_ssize_t i = 0; i < n; ++i) all[i + 1] = args[i];
  return PyObject_Vectorcall(original, all, static_cast<size_t>(nargs + 1), kwnames);
}

}  // namespace pyrace::py
