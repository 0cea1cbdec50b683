#include "runtime/python/code_export.h"

#include "runtime/python/access_hooks.h"
#include "runtime/python/import_hook.h"
#include "runtime/python/stand_in.h"

namespace pyrace::py {
namespace {

struct Originals {
  PyObject* dump = nullptr;
  PyObject* dumps = nullptr;
  PyObject* interp_exec = nullptr;
  PyObject* run_func = nullptr;
  PyObject* call = nullptr;
};
Originals g;

// What marshal would walk: a value with every rewritten code object in it (in the
// containers marshal writes) replaced by its plain twin; a new reference, `obj` itself
// when nothing in it changed. `budget` bounds the walk over big or self-referencing
// containers; what lies beyond it is left as it is.
PyObject* Plain(PyObject* obj, int depth, int* budget) {
  if (PyCode_Check(obj)) return HoldsAccessHooks(obj) ? PlainCode(obj) : Py_NewRef(obj);
  const bool sequence = PyTuple_CheckExact(obj) || PyList_CheckExact(obj);
  const bool set = PyAnySet_CheckExact(obj);
  if ((!sequence && !set && !PyDict_CheckExact(obj)) || depth > 100 || --*budget < 0) return Py_NewRef(obj);
  PyObject* items = sequence || set ? PySequence_List(obj) : PyDict_Items(obj);
  if (items == nullptr) return nullptr;
  bool changed = false;
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); ++i) {
    PyObject* item = PyList_GET_ITEM(items, i);
    PyObject* plain = Plain(item, depth + 1, budget);
    if (plain == nullptr) {
      Py_DECREF(items);
      return nullptr;
    }
    changed = changed || plain != item;
    PyList_SetItem(items, i, plain);  // steals plain, drops item
  }
  PyObject* out = nullptr;
  if (!changed) out = Py_NewRef(obj);
  else if (PyList_CheckExact(obj)) out = Py_NewRef(items);
  else if (PyTuple_CheckExact(obj)) out = PyList_AsTuple(items);
  else if (PyFrozenSet_CheckExact(obj)) out = PyFrozenSet_New(items);
  else if (set) out = PySet_New(items);
  else {
    out = PyDict_New();
    for (Py_ssize_t i = 0; out != nullptr && i < PyList_GET_SIZE(items); ++i) {
      PyObject* kv = PyList_GET_ITEM(items, i);
      if (PyDict_SetItem(out, PyTuple_GET_ITEM(kv, 0), PyTuple_GET_ITEM(kv, 1)) != 0) Py_CLEAR(out);
    }
  }
  Py_DECREF(items);
  return out;
}

// A copy of the tuple args with item i replaced: a new reference, or null.
PyObject* WithItem(PyObject* args, Py_ssize_t i, PyObject* item) {
  PyObject* out = PyTuple_New(PyTuple_GET_SIZE(args));
  if (out == nullptr) return nullptr;
  for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(args); ++k) {
    PyTuple_SET_ITEM(out, k, Py_NewRef(k == i ? item : PyTuple_GET_ITEM(args, k)));
  }
  return out;
}

// original(*args, **kwargs) with args[0] made plain: marshal.dump(value, file, ...),
// marshal.dumps(value, ...), whose value is positional only.
PyObject* CallWithPlainValue(PyObject* original, PyObject* args, PyObject* kwargs) {
  if (!PyTuple_Check(args) || PyTuple_GET_SIZE(args) == 0) return PyObject_Call(original, args, kwargs);
  int budget = 10000;
  PyObject* value = PyTuple_GET_ITEM(args, 0);
  PyObject* plain = Plain(value, 0, &budget);
  if (plain == nullptr) return nullptr;
  if (plain == value) {
    Py_DECREF(plain);
    return PyObject_Call(original, args, kwargs);
  }
  PyObject* plain_args = WithItem(args, 0, plain);
  Py_DECREF(plain);
  if (plain_args == nullptr) return nullptr;
  PyObject* res = PyObject_Call(original, plain_args, kwargs);
  Py_DECREF(plain_args);
  return res;
}

PyObject* Dump(PyObject*, PyObject* args, PyObject* kwargs) { return CallWithPlainValue(g.dump, args, kwargs); }
PyObject* Dumps(PyObject*, PyObject* args, PyObject* kwargs) { return CallWithPlainValue(g.dumps, args, kwargs); }

// original(id, what, ...) of _interpreters, `what` (also by keyword `name`) a function
// or a code object. A code object is passed plain. A function keeps its identity (call
// may pickle it by reference) and runs plain for the call: its __code__ is the twin
// until the original returns. Meanwhile another thread calling it runs the same program
// unrecorded.
PyObject* CallWithPlainCode(PyObject* original, const char* name, PyObject* args, PyObject* kwargs) {
  PyObject* what = PyTuple_Check(args) && PyTuple_GET_SIZE(args) >= 2 ? PyTuple_GET_ITEM(args, 1)
                   : kwargs != nullptr                                 ? PyDict_GetItemString(kwargs, name)
                                                                       : nullptr;  // borrowed
  PyObject* fn = what != nullptr && PyFunction_Check(what) ? what : nullptr;
  PyObject* code = fn != nullptr ? PyFunction_GetCode(fn) : what;  // borrowed
  if (code == nullptr || !HoldsAccessHooks(code)) return PyObject_Call(original, args, kwargs);
  PyObject* plain = PlainCode(code);
  if (plain == code) {
    Py_DECREF(plain);
    return PyObject_Call(original, args, kwargs);
  }
  PyObject* res = nullptr;
  if (fn != nullptr) {
    Py_INCREF(fn);
    PyObject* rewritten = Py_NewRef(code);
    if (PyObject_SetAttrString(fn, "__code__", plain) == 0) {
      res = PyObject_Call(original, args, kwargs);
      SavedError saved;
      if (PyObject_SetAttrString(fn, "__code__", rewritten) != 0) PyErr_Clear();
    }
    Py_DECREF(rewritten);
    Py_DECREF(fn);
  } else {
    const bool positional = PyTuple_Check(args) && PyTuple_GET_SIZE(args) >= 2;
    PyObject* plain_args = positional ? WithItem(args, 1, plain) : nullptr;
    PyObject* plain_kwargs = positional ? nullptr : PyDict_Copy(kwargs);
    if (plain_args != nullptr) {
      res = PyObject_Call(original, plain_args, kwargs);
    } else if (plain_kwargs != nullptr && PyDict_SetItemString(plain_kwargs, name, plain) == 0) {
      res = PyObject_Call(original, args, plain_kwargs);
    }
    Py_XDECREF(plain_args);
    Py_XDECREF(plain_kwargs);
  }
  Py_DECREF(plain);
  return res;
}

PyObject* InterpExec(PyObject*, PyObject* args, PyObject* kwargs) {
  return CallWithPlainCode(g.interp_exec, "code", args, kwargs);
}
PyObject* RunFunc(PyObject*, PyObject* args, PyObject* kwargs) {
  return CallWithPlainCode(g.run_func, "func", args, kwargs);
}
PyObject* Call(PyObject*, PyObject* args, PyObject* kwargs) {
  return CallWithPlainCode(g.call, "callable", args, kwargs);
}

PyMethodDef g_dump_def = {"dump", AsPyCFunction(Dump), METH_VARARGS | METH_KEYWORDS, nullptr};
PyMethodDef g_dumps_def = {"dumps", AsPyCFunction(Dumps), METH_VARARGS | METH_KEYWORDS, nullptr};
PyMethodDef g_exec_def = {"exec", AsPyCFunction(InterpExec), METH_VARARGS | METH_KEYWORDS, nullptr};
PyMethodDef g_run_func_def = {"run_func", AsPyCFunction(RunFunc), METH_VARARGS | METH_KEYWORDS, nullptr};
PyMethodDef g_call_def = {"call", AsPyCFunction(Call), METH_VARARGS | METH_KEYWORDS, nullptr};

// _interpreters is wrapped when the program imports it: importing it here would add it
// to every program's sys.modules.
PyObject* WrapInterpreters(PyObject*, PyObject*) {
  if (!ReplaceInModule("_interpreters", {{g_exec_def, {.keep = &g.interp_exec}},
                                         {g_run_func_def, {.keep = &g.run_func}},
                                         {g_call_def, {.keep = &g.call}}})) {
    return nullptr;
  }
  Py_RETURN_NONE;
}
PyMethodDef g_wrap_interpreters_def = {"_wrap_interpreters", WrapInterpreters, METH_NOARGS, nullptr};

}  // namespace

bool InstallCodeExport() {
  // marshal: imported at start-up by importlib.
  return ReplaceInModule("marshal", {{g_dump_def, {.keep = &g.dump}}, {g_dumps_def, {.keep = &g.dumps}}}) &&
         WhenImported("_interpreters", &g_wrap_interpreters_def);
}

}  // namespace pyrace::py
