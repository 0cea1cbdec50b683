#include "runtime/python/import_hook.h"

#include "runtime/python/asyncio_hooks.h"

namespace pyrace::py {

bool RacesEnabled(const Options& opts) { return opts.detect.Has(Detect::kRaces); }

namespace {

// -- callables no profiler counts ------------------------------------------------------
// What pyrace puts in the import machinery's way is called from importlib's Python code
// (a finder's find_spec, a loader's exec_module). A builtin function or method would be a
// c_call event for sys.setprofile and a row of cProfile's; a callable of this type is
// neither (those are reported for PyCFunction and method descriptors only), and a Python
// function it calls runs with tracing suspended, so that a tracer, a profiler or a
// sys.monitoring tool sees the frames the program runs plainly and none of pyrace's.
using CallFn = PyObject* (*)(PyObject* owner, PyObject* args, PyObject* kwargs);

struct CallObject {
  PyObject_HEAD
  CallFn fn;
  PyObject* owner;  // the finder, the loader, or the Python callable of CallUntraced
};

PyTypeObject* g_call_type = nullptr;

PyObject* CallObjectCall(PyObject* self, PyObject* args, PyObject* kwargs) {
  auto* c = reinterpret_cast<CallObject*>(self);
  return c->fn(c->owner, args, kwargs);
}

// Bound like a function when it is a class attribute (InstrumentingLoader.get_code).
PyObject* CallObjectGet(PyObject* self, PyObject* obj, PyObject*) {
  if (obj == nullptr || obj == Py_None) return Py_NewRef(self);
  return PyMethod_New(self, obj);
}

int CallObjectTraverse(PyObject* self, visitproc visit, void* arg) {
  Py_VISIT(reinterpret_cast<CallObject*>(self)->owner);
  Py_VISIT(Py_TYPE(self));
  return 0;
}

int CallObjectClear(PyObject* self) {
  Py_CLEAR(reinterpret_cast<CallObject*>(self)->owner);
  return 0;
}

void CallObjectDealloc(PyObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  PyObject_GC_UnTrack(self);
  CallObjectClear(self);
  type->tp_free(self);
  Py_DECREF(type);
}

PyType_Slot g_call_slots[] = {{Py_tp_call, reinterpret_cast<void*>(CallObjectCall)},
                              {Py_tp_descr_get, reinterpret_cast<void*>(CallObjectGet)},
                              {Py_tp_traverse, reinterpret_cast<void*>(CallObjectTraverse)},
                              {Py_tp_clear, reinterpret_cast<void*>(CallObjectClear)},
                              {Py_tp_dealloc, reinterpret_cast<void*>(CallObjectDealloc)},
                              {0, nullptr}};
PyType_Spec g_call_spec = {"_pyrace.ImportCall", sizeof(CallObject), 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
                           g_call_slots};

PyObject* NewCall(CallFn fn, PyObject* owner) {
  if (g_call_type == nullptr) {
    g_call_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&g_call_spec));
    if (g_call_type == nullptr) return nullptr;
  }
  auto* c = PyObject_GC_New(CallObject, g_call_type);
  if (c == nullptr) return nullptr;
  c->fn = fn;
  c->owner = Py_NewRef(owner);
  PyObject_GC_Track(c);
  return reinterpret_cast<PyObject*>(c);
}

PyObject* CallUntraced(PyObject* fn, PyObject* args, PyObject* kwargs) {
  PyThreadState* ts = PyThreadState_Get();
  SuspendTracing(ts);
  PyObject* r = PyObject_Call(fn, args, kwargs);
  ResumeTracing(ts);
  return r;
}

// The rewriting loader's get_code: untraced, and its time (rewriting, or reading the
// rewrite's cache) is not the program's, so an asyncio step that imports is not
// reported as blocking its loop for it.
PyObject* GetCodeUntraced(PyObject* fn, PyObject* args, PyObject* kwargs) {
  LoopStepPause pause;
  return CallUntraced(fn, args, kwargs);
}

PyObject* CallUntracedArgs(PyObject* fn, PyObject* a, PyObject* b) {
  PyObject* args = b != nullptr ? PyTuple_Pack(2, a, b) : PyTuple_Pack(1, a);
  if (args == nullptr) return nullptr;
  PyObject* r = CallUntraced(fn, args, nullptr);
  Py_DECREF(args);
  return r;
}

// -- the spec hook ---------------------------------------------------------------------
// Both of the hook's jobs, WhenImported's modules (g_pending: name -> install) and, in
// race mode, the rewriter's choice of loader (g_spec_for: _pyrace_instrument.spec_for),
// act on the spec an import finds. importlib finds it in _find_spec, the loop over
// sys.meta_path that every import, importlib.util.find_spec and importlib.reload go
// through; the runtime wraps that function while it has work, and the wrapper calls the
// original. So every finder is asked as often, in the same order and from the same
// frames as plainly, a failed import searches once, and sys.meta_path is the program's
// own list, whatever the program does to it.
PyObject* g_find_spec = nullptr;  // importlib's own _find_spec, kept for the process
PyObject* g_wrapper = nullptr;    // what stands in for it, kept for the process
PyTypeObject* g_module_spec = nullptr;  // importlib's ModuleSpec, kept for the process
PyObject* g_pending = nullptr;    // dict
PyObject* g_busy = nullptr;       // set: names being found, for a finder that asks again
PyObject* g_spec_for = nullptr;   // null outside race mode

// Below the loader, which ends the hook's job for its module.
void UnwrapFindSpecWhenIdle();

// -- the loader of a module WhenImported waits for ---------------------------------------
// It stands in for the real loader in the spec until the module executes, calls the real
// one, then the module's install. The real loader (a class for built-in and frozen
// modules, shared by all of them) is never patched; the module's __loader__ and
// __spec__.loader are the real one again before any of the module's code runs.
struct AfterLoader {
  PyObject_HEAD
  PyObject* real;
  PyObject* name;
};

PyTypeObject* g_after_type = nullptr;

PyObject* AfterCreate(PyObject* self, PyObject* args, PyObject* kwargs) {
  auto* l = reinterpret_cast<AfterLoader*>(self);
  PyObject* create = PyObject_GetAttrString(l->real, "create_module");
  if (create == nullptr) {
    if (!PyErr_ExceptionMatches(PyExc_AttributeError)) return nullptr;
    PyErr_Clear();
    Py_RETURN_NONE;  // the default module creation, as for a loader without one
  }
  PyObject* r = PyObject_Call(create, args, kwargs);
  Py_DECREF(create);
  return r;
}

PyObject* AfterExec(PyObject* self, PyObject* args, PyObject* kwargs) {
  auto* l = reinterpret_cast<AfterLoader*>(self);
  PyObject* module = nullptr;
  static const char* kw[] = {"module", nullptr};
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O:exec_module", const_cast<char**>(kw), &module)) {
    return nullptr;
  }
  if (PyObject_SetAttrString(module, "__loader__", l->real) != 0) return nullptr;
  PyObject* spec = PyObject_GetAttrString(module, "__spec__");
  if (spec == nullptr) return nullptr;
  int set = spec != Py_None ? PyObject_SetAttrString(spec, "loader", l->real) : 0;
  Py_DECREF(spec);
  if (set != 0) return nullptr;
  PyObject* r = PyObject_CallMethod(l->real, "exec_module", "O", module);
  if (r == nullptr) return nullptr;
  Py_DECREF(r);
  // Once: another spec of the module handed out (importlib.util.find_spec) finds it done.
  PyObject* install = PyDict_GetItemWithError(g_pending, l->name);  // borrowed
  if (install == nullptr) {
    if (PyErr_Occurred()) return nullptr;
    Py_RETURN_NONE;
  }
  Py_INCREF(install);
  if (PyDict_DelItem(g_pending, l->name) != 0) {
    Py_DECREF(install);
    return nullptr;
  }
  UnwrapFindSpecWhenIdle();
  PyObject* empty = PyTuple_New(0);
  r = empty != nullptr ? CallUntraced(install, empty, nullptr) : nullptr;
  Py_XDECREF(empty);
  Py_DECREF(install);
  return r;
}

PyObject* AfterGetCreate(PyObject* self, void*) { return NewCall(AfterCreate, self); }
PyObject* AfterGetExec(PyObject* self, void*) { return NewCall(AfterExec, self); }

// Anything else a caller asks the spec's loader for is the real loader's.
PyObject* AfterGetAttr(PyObject* self, PyObject* attr) {
  PyObject* r = PyObject_GenericGetAttr(self, attr);
  if (r != nullptr || !PyErr_ExceptionMatches(PyExc_AttributeError)) return r;
  PyErr_Clear();
  return PyObject_GetAttr(reinterpret_cast<AfterLoader*>(self)->real, attr);
}

int AfterTraverse(PyObject* self, visitproc visit, void* arg) {
  Py_VISIT(reinterpret_cast<AfterLoader*>(self)->real);
  Py_VISIT(Py_TYPE(self));
  return 0;
}

int AfterClear(PyObject* self) {
  auto* l = reinterpret_cast<AfterLoader*>(self);
  Py_CLEAR(l->real);
  Py_CLEAR(l->name);
  return 0;
}

void AfterDealloc(PyObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  PyObject_GC_UnTrack(self);
  AfterClear(self);
  type->tp_free(self);
  Py_DECREF(type);
}

PyGetSetDef g_after_getset[] = {{"create_module", AfterGetCreate, nullptr, nullptr, nullptr},
                                {"exec_module", AfterGetExec, nullptr, nullptr, nullptr},
                                {nullptr, nullptr, nullptr, nullptr, nullptr}};
PyType_Slot g_after_slots[] = {{Py_tp_getset, g_after_getset},
                               {Py_tp_getattro, reinterpret_cast<void*>(AfterGetAttr)},
                               {Py_tp_traverse, reinterpret_cast<void*>(AfterTraverse)},
                               {Py_tp_clear, reinterpret_cast<void*>(AfterClear)},
                               {Py_tp_dealloc, reinterpret_cast<void*>(AfterDealloc)},
                               {0, nullptr}};
PyType_Spec g_after_spec = {"_pyrace.ImportWatchLoader", sizeof(AfterLoader), 0,
                            Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, g_after_slots};

// spec.loader = an AfterLoader around it; false = exception set.
bool WatchLoader(PyObject* spec, PyObject* name) {
  PyObject* real = PyObject_GetAttrString(spec, "loader");
  if (real == nullptr) return false;
  int has_exec = real != Py_None ? PyObject_HasAttrString(real, "exec_module") : 0;
  if (!has_exec) {  // a namespace package or a legacy loader: nothing to wait for
    Py_DECREF(real);
    return true;
  }
  auto* l = PyObject_GC_New(AfterLoader, g_after_type);
  if (l == nullptr) {
    Py_DECREF(real);
    return false;
  }
  l->real = real;
  l->name = Py_NewRef(name);
  PyObject_GC_Track(l);
  int set = PyObject_SetAttrString(spec, "loader", reinterpret_cast<PyObject*>(l));
  Py_DECREF(l);
  return set == 0;
}

// _find_spec(name, path, target=None), arguments passed on as given (the original parses
// them and words its errors), then what the hook does to the spec found.
PyObject* FindSpec(PyObject* original, PyObject* args, PyObject* kwargs) {
  PyObject* name = PyTuple_GET_SIZE(args) > 0 ? PyTuple_GET_ITEM(args, 0)
                   : kwargs != nullptr     ? PyDict_GetItemString(kwargs, "name")
                                           : nullptr;
  const bool by_name = name != nullptr && PyUnicode_Check(name);
  int pending = by_name ? PyDict_Contains(g_pending, name) : 0;
  if (pending < 0) return nullptr;
  if (!by_name || (pending == 0 && g_spec_for == nullptr)) return PyObject_Call(original, args, kwargs);
  int busy = PySet_Contains(g_busy, name);
  if (busy != 0) return busy < 0 ? nullptr : PyObject_Call(original, args, kwargs);
  PyObject* modules = PyImport_GetModuleDict();  // borrowed
  int loaded_before = PyDict_Contains(modules, name);
  if (loaded_before < 0 || PySet_Add(g_busy, name) != 0) return nullptr;
  PyObject* spec = PyObject_Call(original, args, kwargs);
  if (PySet_Discard(g_busy, name) < 0) Py_CLEAR(spec);
  if (spec == nullptr || spec == Py_None) return spec;
  // Left alone: what is not a ModuleSpec (a finder may return anything, and
  // importlib.util.find_spec hands it back as it is; its attributes are not even read),
  // and the spec of a module a finder imported itself (the machinery uses that module,
  // whose spec _find_spec may have returned: it is the program's).
  if (!PyObject_TypeCheck(spec, g_module_spec)) return spec;
  int loaded_now = PyDict_Contains(modules, name);
  if (loaded_now < 0) Py_CLEAR(spec);
  if (spec == nullptr || (loaded_before == 0 && loaded_now == 1)) return spec;
  if (g_spec_for != nullptr) {
    PyObject* chosen = CallUntracedArgs(g_spec_for, name, spec);
    Py_DECREF(spec);
    if (chosen == nullptr) return nullptr;
    spec = chosen;
  }
  if (pending != 0 && !WatchLoader(spec, name)) Py_CLEAR(spec);
  return spec;
}

// importlib._bootstrap, and importlib.util (which imports _find_spec by name) when the
// interpreter has it already; borrowed, each null when absent.
void FindSpecHolders(PyObject** bootstrap, PyObject** util) {
  PyObject* modules = PyImport_GetModuleDict();  // borrowed
  *bootstrap = PyDict_GetItemString(modules, "_frozen_importlib");
  *util = PyDict_GetItemString(modules, "importlib.util");
}

// holder._find_spec = to where it is `from` now; false = exception set.
bool SwapFindSpec(PyObject* holder, PyObject* from, PyObject* to) {
  if (holder == nullptr) return true;
  PyObject* now = PyObject_GetAttrString(holder, "_find_spec");
  if (now == nullptr) {
    PyErr_Clear();
    return true;
  }
  Py_DECREF(now);
  return now != from || PyObject_SetAttrString(holder, "_find_spec", to) == 0;
}

bool WrapFindSpec() {
  PyObject* bootstrap;
  PyObject* util;
  FindSpecHolders(&bootstrap, &util);
  if (bootstrap == nullptr) {
    PyErr_SetString(PyExc_RuntimeError, "pyrace: the interpreter has no importlib._bootstrap");
    return false;
  }
  if (g_find_spec == nullptr) {
    PyObject* spec_type = PyObject_GetAttrString(bootstrap, "ModuleSpec");
    if (spec_type == nullptr) return false;
    if (!PyType_Check(spec_type)) {
      Py_DECREF(spec_type);
      PyErr_SetString(PyExc_RuntimeError, "pyrace: importlib._bootstrap.ModuleSpec is not a class");
      return false;
    }
    g_module_spec = reinterpret_cast<PyTypeObject*>(spec_type);
    g_find_spec = PyObject_GetAttrString(bootstrap, "_find_spec");
    if (g_find_spec == nullptr) return false;
    g_wrapper = NewCall(FindSpec, g_find_spec);
    if (g_wrapper == nullptr) return false;
  }
  return SwapFindSpec(bootstrap, g_find_spec, g_wrapper) && SwapFindSpec(util, g_find_spec, g_wrapper);
}

// importlib's own _find_spec back, once the hook has nothing left to do.
void UnwrapFindSpecWhenIdle() {
  if (g_spec_for != nullptr || PyDict_GET_SIZE(g_pending) != 0 || g_find_spec == nullptr) return;
  PyObject* bootstrap;
  PyObject* util;
  FindSpecHolders(&bootstrap, &util);
  if (!SwapFindSpec(bootstrap, g_wrapper, g_find_spec) || !SwapFindSpec(util, g_wrapper, g_find_spec)) PyErr_Clear();
}

bool InitHook() {
  if (g_pending == nullptr && (g_pending = PyDict_New()) == nullptr) return false;
  if (g_busy == nullptr && (g_busy = PySet_New(nullptr)) == nullptr) return false;
  if (g_after_type == nullptr) {
    g_after_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&g_after_spec));
    if (g_after_type == nullptr) return false;
  }
  return true;
}

// The rewriter's package, imported once while the runtime's directory is still on
// sys.path (bootstrap.cpp takes it off) and held here: later uses do not depend on
// what the program does to sys.path or sys.modules. Borrowed; null with an exception.
PyObject* Instrument() {
  static PyObject* inst = nullptr;
  if (inst == nullptr) inst = PyImport_ImportModule("_pyrace_instrument");
  return inst;
}

// runpy compiles the main script a multiprocessing spawn or forkserver child runs
// again as __mp_main__ itself; _pyrace_instrument.patch_runpy has it rewritten. Done
// when the program imports runpy: importing it here would add it to sys.modules.
PyObject* PatchRunpy(PyObject*, PyObject*) {
  PyObject* inst = Instrument();
  return inst != nullptr ? PyObject_CallMethod(inst, "patch_runpy", nullptr) : nullptr;
}
PyMethodDef g_patch_runpy_def = {"_patch_runpy", PatchRunpy, METH_NOARGS, nullptr};

}  // namespace

bool InstallImportHook(const Options& opts) {
  if (!InitHook()) return false;
  PyObject* inst = Instrument();
  if (inst == nullptr) return false;
  PyObject* argv = PySys_GetObject("argv");  // borrowed
  PyObject* r = PyObject_CallMethod(inst, "install_for_argv", "OsO", argv != nullptr ? argv : Py_None,
                                    opts.instrument.c_str(), Py_False);
  bool ok = r != nullptr;
  Py_XDECREF(r);
  // The rewriting loader's get_code (rewriting, or reading the rewrite's cache) runs
  // with tracing suspended: the frames a tracer sees are the module's own.
  PyObject* loader = ok ? PyObject_GetAttrString(inst, "InstrumentingLoader") : nullptr;
  PyObject* get_code = loader != nullptr ? PyObject_GetAttrString(loader, "get_code") : nullptr;
  if (get_code != nullptr && Py_TYPE(get_code) != g_call_type) {
    PyObject* untraced = NewCall(GetCodeUntraced, get_code);
    ok = untraced != nullptr && PyObject_SetAttrString(loader, "get_code", untraced) == 0;
    Py_XDECREF(untraced);
  }
  ok = ok && get_code != nullptr;
  Py_XDECREF(get_code);
  Py_XDECREF(loader);
  if (ok && g_spec_for == nullptr) {
    g_spec_for = PyObject_GetAttrString(inst, "spec_for");
    ok = g_spec_for != nullptr && WrapFindSpec();
  }
  return ok && WhenImported("runpy", &g_patch_runpy_def);
}

PyObject* CompileRewritten(PyObject* source, PyObject* path) {
  PyObject* inst = Instrument();
  if (inst == nullptr) return nullptr;
  PyObject* compile = PyObject_GetAttrString(inst, "compile_source");
  if (compile == nullptr) return nullptr;
  PyObject* args = Py_BuildValue("(OOs)", source, path, "__main__");
  PyObject* code = args != nullptr ? CallUntraced(compile, args, nullptr) : nullptr;
  Py_XDECREF(args);
  Py_DECREF(compile);
  return code;
}

PyObject* PlainCode(PyObject* code) {
  PyObject* inst = Instrument();
  PyObject* find = inst != nullptr ? PyObject_GetAttrString(inst, "plain_code") : nullptr;
  PyObject* plain = find != nullptr ? CallUntracedArgs(find, code, nullptr) : nullptr;
  Py_XDECREF(find);
  if (plain == nullptr || !PyCode_Check(plain)) {
    PyErr_Clear();
    Py_XDECREF(plain);
    return Py_NewRef(code);
  }
  return plain;
}

bool WhenImported(const char* name, PyMethodDef* install) {
  PyObject* modules = PyImport_GetModuleDict();  // borrowed
  PyObject* already = PyDict_GetItemString(modules, name);  // borrowed
  if (already != nullptr) {
    PyObject* r = install->ml_meth(nullptr, nullptr);
    Py_XDECREF(r);
    return r != nullptr;
  }
  if (!InitHook()) return false;
  PyObject* fn = PyCFunction_New(install, nullptr);
  bool ok = fn != nullptr && PyDict_SetItemString(g_pending, name, fn) == 0 && WrapFindSpec();
  Py_XDECREF(fn);
  return ok;
}

}  // namespace pyrace::py
