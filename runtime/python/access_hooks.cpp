#include "runtime/python/access_hooks.h"

#include <structmember.h>

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/model/event.h"
#include "runtime/python/access_objects.h"
#include "runtime/python/lock_names.h"
#include "runtime/python/lock_types.h"
#include "runtime/python/recorder.h"

namespace pyrace::py {
namespace {

// The rewriter's site kinds (rewriter.py uses the same numbers).
enum class SiteKind : uint8_t {
  kGlobalRead = 0, kGlobalWrite, kGlobalRmw,
  kAttrRead, kAttrWrite, kAttrRmw, kAttrDel,
  kItemRead, kItemWrite, kItemRmw, kItemDel,
  kContainerRead, kContainerWrite,
  kMethodRead, kMethodWrite, kMethodKeyRead, kMethodKeyWrite,
  kContains, kNotContains,
  kCellRead, kCellWrite, kCellRmw,
  kCount,
};

struct Site {
  SiteKind kind = SiteKind::kAttrRead;
  PyObject* name = nullptr;  // interned attribute / global / method name (owned)
  std::string text;          // how the accessed object reads in the source ("self.items")
  LocRecord* global = nullptr;  // globals: resolved on first use
  // The location this site touched last: a loop updates the same object's attribute
  // (or entry) again and again, and this skips the registry's two hash lookups. Valid
  // while the registry has forgotten no object since (AccessRegistry::generation()).
  PyObject* last_obj = nullptr;
  uint64_t last_key = 0;
  uint64_t last_generation = 0;
  LocRecord* last_loc = nullptr;
};

LocRecord* CachedLocation(const Site& site, PyObject* obj, uint64_t key) {
  if (site.last_obj != obj || site.last_key != key) return nullptr;
  return site.last_generation == AccessRegistry::Get().generation() ? site.last_loc : nullptr;
}

void RememberLocation(Site& site, PyObject* obj, uint64_t key, LocRecord* loc) {
  site.last_obj = obj;
  site.last_key = key;
  site.last_generation = AccessRegistry::Get().generation();
  site.last_loc = loc;
}

// One per rewritten module, alive for the process: the module's code refers to it
// through its hooks for as long as any of its functions may run.
struct SiteTable {
  std::string module;
  std::vector<Site> sites;
};

uint8_t Flags(SiteKind k) {
  switch (k) {
    case SiteKind::kGlobalWrite: case SiteKind::kAttrWrite: case SiteKind::kAttrDel:
    case SiteKind::kItemWrite: case SiteKind::kItemDel: case SiteKind::kContainerWrite:
    case SiteKind::kMethodWrite: case SiteKind::kMethodKeyWrite: case SiteKind::kCellWrite:
      return kFlagWrite;
    case SiteKind::kGlobalRmw: case SiteKind::kAttrRmw: case SiteKind::kItemRmw: case SiteKind::kCellRmw:
      return kFlagWrite | kFlagReadModifyWrite;
    // A check (`k in d`, `d.get(k)`): a read that decides a write, the first half of a
    // check-then-act. event.h: kFlagReadModifyWrite without kFlagWrite.
    case SiteKind::kContains: case SiteKind::kNotContains: case SiteKind::kMethodKeyRead:
      return kFlagReadModifyWrite;
    default:
      return 0;
  }
}

Recorder* g_rec = nullptr;

// --- naming -------------------------------------------------------------------

std::string TypeName(PyTypeObject* t) {
  std::string n = t->tp_name;
  if (!(t->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
    size_t dot = n.rfind('.');
    if (dot != std::string::npos) n = n.substr(dot + 1);
    return n;
  }
  PyObject* q = reinterpret_cast<PyHeapTypeObject*>(t)->ht_qualname;
  if (q != nullptr && PyUnicode_Check(q)) {
    const char* s = PyUnicode_AsUTF8(q);
    if (s != nullptr) return s;
    PyErr_Clear();
  }
  return n;
}

std::string OwnerName(PyObject* obj) {
  if (PyType_Check(obj)) return TypeName(reinterpret_cast<PyTypeObject*>(obj));
  return TypeName(Py_TYPE(obj));
}

std::string Utf8(PyObject* s) {
  if (s == nullptr || !PyUnicode_Check(s)) return "?";
  const char* c = PyUnicode_AsUTF8(s);
  if (c == nullptr) {
    PyErr_Clear();
    return "?";
  }
  return c;
}

// A key as a report shows it. Only builtin scalar keys are repr'd: a user type's
// __repr__ is user code and may do anything.
std::string KeyText(PyObject* key) {
  bool plain = PyUnicode_CheckExact(key) || PyLong_CheckExact(key) || PyFloat_CheckExact(key) ||
               PyBytes_CheckExact(key) || PyBool_Check(key) || key == Py_None;
  if (!plain) return "<" + TypeName(Py_TYPE(key)) + ">";
  PyObject* r = PyObject_Repr(key);
  if (r == nullptr) {
    PyErr_Clear();
    return "?";
  }
  std::string s = Utf8(r);
  Py_DECREF(r);
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

std::string SiteOwner(const Site& site, PyObject* obj) {
  return site.text.empty() ? OwnerName(obj) : site.text;
}

// --- what is worth recording --------------------------------------------------

// Reading a lock, a function, a class or a module out of a variable is how code
// reaches its synchronization and its code, not shared data: such reads are not
// recorded (their writes are). The answers are kept per type, and the types with them:
// a freed class's address taken by a new class must not inherit its answer.
bool IsSyncOrCode(PyObject* v) {
  static std::unordered_map<PyTypeObject*, bool> cache;
  static PyTypeObject* last_type = nullptr;  // the ints and dicts of a hot loop
  static bool last_answer = false;
  PyTypeObject* t = Py_TYPE(v);
  if (t == last_type) return last_answer;
  auto it = cache.find(t);
  if (it != cache.end()) {
    last_type = t;
    last_answer = it->second;
    return last_answer;
  }
  if (it != cache.end()) return it->second;
  bool skip = PyType_Check(v) || PyModule_Check(v) || PyFunction_Check(v) || PyMethod_Check(v) ||
              PyCFunction_Check(v) || IsWrappedLock(v);
  std::string name = t->tp_name;
  if (name.find("lock") != std::string::npos || name.find("Lock") != std::string::npos) skip = true;
  if (!skip && (t->tp_flags & Py_TPFLAGS_HEAPTYPE) && t->tp_dict != nullptr) {
    PyObject* mod = PyDict_GetItemString(t->tp_dict, "__module__");  // borrowed
    std::string m = mod != nullptr ? Utf8(mod) : "";
    skip = m == "threading" || m == "queue" || m == "concurrent.futures._base" ||
           m == "concurrent.futures.thread" || m == "multiprocessing.synchronize";
  }
  Py_INCREF(t);  // see above; the distinct types of a program are few
  cache.emplace(t, skip);
  last_type = t;
  last_answer = skip;
  return skip;
}

bool IsContainer(PyObject* o) {
  return PyDict_Check(o) || PyList_Check(o) || PyAnySet_Check(o) || PyByteArray_Check(o);
}

// --- recording ----------------------------------------------------------------

bool Recording() { return g_rec != nullptr && g_rec->recording(); }

void RecordGlobal(SiteTable& table, Site& site, uint8_t flags) {
  if (site.global == nullptr) {
    site.global = AccessRegistry::Get().Global(table.module + "." + Utf8(site.name));
  }
  AccessRegistry::Get().Record(*site.global, flags);
}

PyTypeObject* g_thread_local_type = nullptr;  // _thread._local: each thread sees its own attributes

// One type remembered: a hot loop updates the attributes of one class, whose MRO
// PyObject_TypeCheck would walk on every access. The type is kept alive with its
// answer, so its address cannot come back as another class.
bool IsThreadLocal(PyObject* obj) {
  static PyTypeObject* last_type = nullptr;
  static bool last_answer = false;
  PyTypeObject* t = Py_TYPE(obj);
  if (t == last_type) return last_answer;
  bool answer = g_thread_local_type != nullptr && PyType_IsSubtype(t, g_thread_local_type);
  PyTypeObject* old = last_type;
  Py_INCREF(t);
  last_type = t;
  last_answer = answer;
  Py_XDECREF(old);  // last: dropping a type may run arbitrary code
  return answer;
}

void RecordAttr(PyObject* obj, Site& site, uint8_t flags) {
  AccessRegistry& reg = AccessRegistry::Get();
  if (LocRecord* cached = CachedLocation(site, obj, 0)) return reg.Record(*cached, flags);
  if (IsThreadLocal(obj)) return;
  if (PyModule_Check(obj)) {
    const char* mod = PyModule_GetName(obj);
    if (mod == nullptr) {
      PyErr_Clear();
      return;
    }
    reg.Record(*reg.Global(std::string(mod) + "." + Utf8(site.name)), flags);
    return;
  }
  ObjRec* rec = reg.Track(obj);
  if (rec == nullptr) return;
  uint64_t key = reinterpret_cast<uintptr_t>(site.name);
  LocRecord& loc = reg.Location(rec, KeyTag::kAttr, key,
                                [&] { return OwnerName(obj) + "." + Utf8(site.name); });
  RememberLocation(site, obj, 0, &loc);
  reg.Record(loc, flags);
}

void RecordWhole(PyObject* obj, Site& site, uint8_t flags) {
  AccessRegistry& reg = AccessRegistry::Get();
  ObjRec* rec = reg.Track(obj);
  if (rec == nullptr) return;
  LocRecord& loc = reg.Location(rec, KeyTag::kWhole, 0, [&] { return SiteOwner(site, obj); });
  reg.Record(loc, flags);
}

// Items: a list slot by its index, a dict (or other) entry by its key's hash. What has
// no stable key (an unhashable key, a slice) is the whole container.
void RecordItem(PyObject* obj, PyObject* key, Site& site, uint8_t flags) {
  uint64_t k = 0;
  if (PyList_Check(obj) || PyByteArray_Check(obj)) {
    if (!PyLong_Check(key)) return RecordWhole(obj, site, flags);
    Py_ssize_t i = PyLong_AsSsize_t(key);
    if (i == -1 && PyErr_Occurred()) {
      PyErr_Clear();
      return RecordWhole(obj, site, flags);
    }
    if (i < 0) i += PyObject_Size(obj);
    k = static_cast<uint64_t>(i);
  } else {
    Py_hash_t h = PyObject_Hash(key);
    if (h == -1 && PyErr_Occurred()) {
      PyErr_Clear();
      return RecordWhole(obj, site, flags);
    }
    k = static_cast<uint64_t>(h);
  }
  AccessRegistry& reg = AccessRegistry::Get();
  // The key's tag bit keeps an entry apart from the attribute cached at key 0.
  if (LocRecord* cached = CachedLocation(site, obj, k | (uint64_t{1} << 63))) {
    return reg.Record(*cached, flags);
  }
  ObjRec* rec = reg.Track(obj);
  if (rec == nullptr) return;
  LocRecord& loc = reg.Location(rec, KeyTag::kItem, k,
                                [&] { return SiteOwner(site, obj) + "[" + KeyText(key) + "]"; });
  RememberLocation(site, obj, k | (uint64_t{1} << 63), &loc);
  reg.Record(loc, flags);
}

// --- the hook objects ---------------------------------------------------------

struct HookObject {
  PyObject_HEAD
  vectorcallfunc vectorcall;
  SiteTable* table;
  const char* name;
};

// The site argument, checked: rewritten code always passes a valid constant, but a
// stale cached module must fail loudly, not read past the table.
Site* SiteArg(PyObject* self, PyObject* arg) {
  SiteTable* t = reinterpret_cast<HookObject*>(self)->table;
  Py_ssize_t i = PyLong_AsSsize_t(arg);
  if (i < 0 || static_cast<size_t>(i) >= t->sites.size()) {
    if (!PyErr_Occurred()) PyErr_Format(PyExc_SystemError, "pyrace: bad access site %zd", i);
    return nullptr;
  }
  return &t->sites[static_cast<size_t>(i)];
}

bool Arity(PyObject* self, size_t nargs, size_t want) {
  if (nargs == want) return true;
  PyErr_Format(PyExc_TypeError, "pyrace: %s() takes %zu arguments (%zu given)",
               reinterpret_cast<HookObject*>(self)->name, want, nargs);
  return false;
}

#define HOOK_ARGS PyObject *self, PyObject *const *args, size_t nargsf, PyObject * /*kwnames*/
#define NARGS PyVectorcall_NARGS(nargsf)

// gr(value, site): a module global was read.
PyObject* HookGlobalRead(HOOK_ARGS) {
  if (!Arity(self, NARGS, 2)) return nullptr;
  Site* s = SiteArg(self, args[1]);
  if (s == nullptr) return nullptr;
  if (Recording() && !IsSyncOrCode(args[0])) {
    RecordGlobal(*reinterpret_cast<HookObject*>(self)->table, *s, Flags(s->kind));
  }
  return Py_NewRef(args[0]);
}

// gw(site): a module global was assigned (or updated in place, or deleted).
PyObject* HookGlobalWrite(HOOK_ARGS) {
  if (!Arity(self, NARGS, 1)) return nullptr;
  Site* s = SiteArg(self, args[0]);
  if (s == nullptr) return nullptr;
  if (Recording()) RecordGlobal(*reinterpret_cast<HookObject*>(self)->table, *s, Flags(s->kind));
  Py_RETURN_NONE;
}

// ga(obj, site) -> getattr(obj, name)
PyObject* HookGetAttr(HOOK_ARGS) {
  if (!Arity(self, NARGS, 2)) return nullptr;
  Site* s = SiteArg(self, args[1]);
  if (s == nullptr) return nullptr;
  PyObject* v = PyObject_GetAttr(args[0], s->name);
  if (v != nullptr && Recording() && !IsSyncOrCode(v)) RecordAttr(args[0], *s, 0);
  return v;
}

// sa(value, obj, site): obj.name = value
PyObject* HookSetAttr(HOOK_ARGS) {
  if (!Arity(self, NARGS, 3)) return nullptr;
  Site* s = SiteArg(self, args[2]);
  if (s == nullptr) return nullptr;
  if (PyObject_SetAttr(args[1], s->name, args[0]) < 0) return nullptr;
  if (Recording()) {
    RecordAttr(args[1], *s, Flags(s->kind));
    NameStoredLock(args[0], s->text, s->name);
  }
  Py_RETURN_NONE;
}

// da(obj, site): del obj.name
PyObject* HookDelAttr(HOOK_ARGS) {
  if (!Arity(self, NARGS, 2)) return nullptr;
  Site* s = SiteArg(self, args[1]);
  if (s == nullptr) return nullptr;
  if (PyObject_DelAttr(args[0], s->name) < 0) return nullptr;
  if (Recording()) RecordAttr(args[0], *s, Flags(s->kind));
  Py_RETURN_NONE;
}

// ra(obj, site): records a store the statement before did itself (obj.x += v).
PyObject* HookRecordAttr(HOOK_ARGS) {
  if (!Arity(self, NARGS, 2)) return nullptr;
  Site* s = SiteArg(self, args[1]);
  if (s == nullptr) return nullptr;
  if (Recording()) RecordAttr(args[0], *s, Flags(s->kind));
  Py_RETURN_NONE;
}

// gi(obj, key, site) -> obj[key]
PyObject* HookGetItem(HOOK_ARGS) {
  if (!Arity(self, NARGS, 3)) return nullptr;
  Site* s = SiteArg(self, args[2]);
  if (s == nullptr) return nullptr;
  PyObject* v = PyObject_GetItem(args[0], args[1]);
  if (v != nullptr && Recording() && !PyType_Check(args[0])) RecordItem(args[0], args[1], *s, 0);
  return v;
}

// si(value, obj, key, site): obj[key] = value
PyObject* HookSetItem(HOOK_ARGS) {
  if (!Arity(self, NARGS, 4)) return nullptr;
  Site* s = SiteArg(self, args[3]);
  if (s == nullptr) return nullptr;
  if (PyObject_SetItem(args[1], args[2], args[0]) < 0) return nullptr;
  if (Recording()) RecordItem(args[1], args[2], *s, Flags(s->kind));
  Py_RETURN_NONE;
}

// di(obj, key, site): del obj[key]. Deleting a list slot moves the ones after it.
PyObject* HookDelItem(HOOK_ARGS) {
  if (!Arity(self, NARGS, 3)) return nullptr;
  Site* s = SiteArg(self, args[2]);
  if (s == nullptr) return nullptr;
  if (PyObject_DelItem(args[0], args[1]) < 0) return nullptr;
  if (Recording()) {
    if (PyList_Check(args[0])) {
      RecordWhole(args[0], *s, Flags(s->kind));
    } else {
      RecordItem(args[0], args[1], *s, Flags(s->kind));
    }
  }
  Py_RETURN_NONE;
}

// ri(obj, key, site): records a store the statement before did itself (d[k] += v).
PyObject* HookRecordItem(HOOK_ARGS) {
  if (!Arity(self, NARGS, 3)) return nullptr;
  Site* s = SiteArg(self, args[2]);
  if (s == nullptr) return nullptr;
  if (Recording()) RecordItem(args[0], args[1], *s, Flags(s->kind));
  Py_RETURN_NONE;
}

// c(obj, site) -> obj: the whole container is iterated, measured or sliced.
PyObject* HookContainer(HOOK_ARGS) {
  if (!Arity(self, NARGS, 2)) return nullptr;
  Site* s = SiteArg(self, args[1]);
  if (s == nullptr) return nullptr;
  if (Recording() && IsContainer(args[0])) RecordWhole(args[0], *s, Flags(s->kind));
  return Py_NewRef(args[0]);
}

// mc(obj, site, *args) -> obj.<name>(*args): a builtin container's method. The keyed
// dict methods (get, pop, setdefault...) touch the entry of their first argument.
PyObject* HookMethodCall(HOOK_ARGS) {
  size_t n = NARGS;
  if (n < 2) {
    Arity(self, n, 2);
    return nullptr;
  }
  Site* s = SiteArg(self, args[1]);
  if (s == nullptr) return nullptr;
  PyObject* obj = args[0];
  if (Recording() && IsContainer(obj)) {
    bool keyed = (s->kind == SiteKind::kMethodKeyRead || s->kind == SiteKind::kMethodKeyWrite) && n > 2;
    if (keyed && PyDict_Check(obj)) {
      RecordItem(obj, args[2], *s, Flags(s->kind));
    } else {
      RecordWhole(obj, *s, Flags(s->kind));
    }
  }
  // [obj, a1, a2...] contiguous for the method call; args[1] is the site.
  PyObject* small[8];
  std::vector<PyObject*> big;
  PyObject** call = small;
  if (n - 1 > 8) {
    big.resize(n - 1);
    call = big.data();
  }
  call[0] = obj;
  for (size_t i = 2; i < n; ++i) call[i - 1] = args[i];
  return PyObject_VectorcallMethod(s->name, call, n - 1, nullptr);
}

// in(item, container, site) -> item in container (or not in).
PyObject* HookContains(HOOK_ARGS) {
  if (!Arity(self, NARGS, 3)) return nullptr;
  Site* s = SiteArg(self, args[2]);
  if (s == nullptr) return nullptr;
  int r = PySequence_Contains(args[1], args[0]);
  if (r < 0) return nullptr;
  if (Recording() && IsContainer(args[1])) {
    if (PyDict_Check(args[1])) {
      RecordItem(args[1], args[0], *s, Flags(s->kind));
    } else {
      RecordWhole(args[1], *s, Flags(s->kind));
    }
  }
  bool result = s->kind == SiteKind::kNotContains ? r == 0 : r == 1;
  return Py_NewRef(result ? Py_True : Py_False);
}

// --- closure cells --------------------------------------------------------------

// Stands for one activation's closure cell: the rewriter binds one per watched cell
// variable when the function starts, and inner functions close over it too.
struct CellToken {
  PyObject_HEAD
  PyObject* weakreflist;
  PyObject* owner;  // qualified name of the function owning the cell
};

void CellTokenDealloc(PyObject* self) {
  auto* t = reinterpret_cast<CellToken*>(self);
  PyTypeObject* type = Py_TYPE(self);
  if (t->weakreflist != nullptr) PyObject_ClearWeakRefs(self);
  Py_XDECREF(t->owner);
  type->tp_free(self);
  Py_DECREF(type);  // instances of heap types own a reference to their type
}

PyTypeObject* g_cell_token_type = nullptr;
PyTypeObject* g_hook_type = nullptr;

// ct(site) -> a new token for the current activation.
PyObject* HookCellToken(HOOK_ARGS) {
  if (!Arity(self, NARGS, 1)) return nullptr;
  if (SiteArg(self, args[0]) == nullptr) return nullptr;
  auto* t = PyObject_New(CellToken, g_cell_token_type);
  if (t == nullptr) return nullptr;
  t->weakreflist = nullptr;
  t->owner = nullptr;
  PyFrameObject* f = CurrentFrame();
  if (f != nullptr) t->owner = Py_NewRef(CodeQualName(FrameCode(f)));
  return reinterpret_cast<PyObject*>(t);
}

void RecordCell(PyObject* token, const Site& site, uint8_t flags) {
  if (Py_TYPE(token) != g_cell_token_type) return;
  AccessRegistry& reg = AccessRegistry::Get();
  ObjRec* rec = reg.Track(token);
  if (rec == nullptr) return;
  PyObject* owner = reinterpret_cast<CellToken*>(token)->owner;
  LocRecord& loc = reg.Location(rec, KeyTag::kAttr, reinterpret_cast<uintptr_t>(site.name),
                                [&] { return Utf8(owner) + "." + Utf8(site.name); });
  reg.Record(loc, flags);
}

// nr(value, token, site) -> value: a watched closure variable was read.
PyObject* HookCellRead(HOOK_ARGS) {
  if (!Arity(self, NARGS, 3)) return nullptr;
  Site* s = SiteArg(self, args[2]);
  if (s == nullptr) return nullptr;
  if (Recording() && !IsSyncOrCode(args[0])) RecordCell(args[1], *s, 0);
  return Py_NewRef(args[0]);
}

// nw(token, site): a watched closure variable was assigned.
PyObject* HookCellWrite(HOOK_ARGS) {
  if (!Arity(self, NARGS, 2)) return nullptr;
  Site* s = SiteArg(self, args[1]);
  if (s == nullptr) return nullptr;
  if (Recording()) RecordCell(args[0], *s, Flags(s->kind));
  Py_RETURN_NONE;
}

#undef HOOK_ARGS
#undef NARGS

struct HookDef {
  const char* name;
  vectorcallfunc fn;
};

const HookDef kHooks[] = {
    {"gr", HookGlobalRead}, {"gw", HookGlobalWrite}, {"ga", HookGetAttr},     {"sa", HookSetAttr},
    {"da", HookDelAttr},    {"ra", HookRecordAttr},  {"gi", HookGetItem},     {"si", HookSetItem},
    {"di", HookDelItem},    {"ri", HookRecordItem},  {"c", HookContainer},    {"mc", HookMethodCall},
    {"in", HookContains},   {"ct", HookCellToken},   {"nr", HookCellRead},    {"nw", HookCellWrite},
};

void HookDealloc(PyObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  type->tp_free(self);
  Py_DECREF(type);
}

bool ParseSite(PyObject* tuple, Site* out) {
  int kind = 0, line = 0;
  PyObject* name = nullptr;
  const char* text = nullptr;
  if (!PyTuple_Check(tuple) || !PyArg_ParseTuple(tuple, "iiUs", &kind, &line, &name, &text)) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "pyrace: a site is (kind, line, name, text)");
    return false;
  }
  if (kind < 0 || kind >= static_cast<int>(SiteKind::kCount)) {
    PyErr_Format(PyExc_ValueError, "pyrace: unknown access site kind %d", kind);
    return false;
  }
  out->kind = static_cast<SiteKind>(kind);
  Py_INCREF(name);
  PyUnicode_InternInPlace(&name);
  out->name = name;
  out->text = text;
  return true;
}

// access_hooks(names, module, filename, sites) -> tuple of hooks in `names` order.
PyObject* AccessHooks(PyObject* /*module*/, PyObject* args) {
  PyObject *names = nullptr, *sites = nullptr;
  const char *module = nullptr, *filename = nullptr;
  if (!PyArg_ParseTuple(args, "O!ssO!:access_hooks", &PyTuple_Type, &names, &module, &filename,
                        &PyTuple_Type, &sites)) {
    return nullptr;
  }
  auto* table = new SiteTable();  // see SiteTable: lives for the process
  table->module = module;
  table->sites.resize(static_cast<size_t>(PyTuple_GET_SIZE(sites)));
  for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(sites); ++i) {
    if (!ParseSite(PyTuple_GET_ITEM(sites, i), &table->sites[static_cast<size_t>(i)])) return nullptr;
  }
  PyObject* out = PyTuple_New(PyTuple_GET_SIZE(names));
  if (out == nullptr) return nullptr;
  for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(names); ++i) {
    std::string want = Utf8(PyTuple_GET_ITEM(names, i));
    const HookDef* def = nullptr;
    for (const HookDef& d : kHooks) {
      if (want == d.name) def = &d;
    }
    if (def == nullptr) {
      Py_DECREF(out);
      return PyErr_Format(PyExc_ValueError, "pyrace: no access hook named %s", want.c_str());
    }
    auto* h = PyObject_New(HookObject, g_hook_type);
    if (h == nullptr) {
      Py_DECREF(out);
      return nullptr;
    }
    h->vectorcall = def->fn;
    h->table = table;
    h->name = def->name;
    PyTuple_SET_ITEM(out, i, reinterpret_cast<PyObject*>(h));
  }
  return out;
}

// access_stats() -> {"access_events": n}: for benchmarks and tests.
PyObject* AccessStats(PyObject* /*module*/, PyObject* /*unused*/) {
  return Py_BuildValue("{s:K}", "access_events",
                       static_cast<unsigned long long>(AccessRegistry::Get().access_events()));
}

PyMethodDef g_functions[] = {
    {"access_hooks", AccessHooks, METH_VARARGS,
     "access_hooks(names, module, filename, sites): the access hooks of one rewritten module."},
    {"access_stats", AccessStats, METH_NOARGS, "access_stats(): counters of the access hooks."},
    {nullptr, nullptr, 0, nullptr},
};

PyMemberDef g_hook_members[] = {
    {const_cast<char*>("__vectorcalloffset__"), T_PYSSIZET, offsetof(HookObject, vectorcall), READONLY,
     nullptr},
    {nullptr, 0, 0, 0, nullptr},
};
PyType_Slot g_hook_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(HookDealloc)},
    {Py_tp_call, reinterpret_cast<void*>(PyVectorcall_Call)},
    {Py_tp_members, g_hook_members},
    {Py_tp_doc, const_cast<char*>("One access hook of a rewritten module (see access_hooks).")},
    {0, nullptr},
};
PyType_Spec g_hook_spec = {"_pyrace.AccessHook", sizeof(HookObject), 0,
                           Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL, g_hook_slots};

PyMemberDef g_token_members[] = {
    {const_cast<char*>("__weaklistoffset__"), T_PYSSIZET, offsetof(CellToken, weakreflist), READONLY,
     nullptr},
    {nullptr, 0, 0, 0, nullptr},
};
PyType_Slot g_token_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(CellTokenDealloc)},
    {Py_tp_members, g_token_members},
    {Py_tp_doc, const_cast<char*>("Stands for one closure cell pyrace watches.")},
    {0, nullptr},
};
PyType_Spec g_token_spec = {"_pyrace.CellToken", sizeof(CellToken), 0, Py_TPFLAGS_DEFAULT, g_token_slots};

bool ReadyTypes() {
  g_hook_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&g_hook_spec));
  if (g_hook_type == nullptr) return false;
  g_cell_token_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&g_token_spec));
  return g_cell_token_type != nullptr;
}

}  // namespace
}  // namespace pyrace::py

namespace pyrace::py {
namespace {

bool g_races = false;

bool RacesEnabled(const Options& opts) { return opts.detect.find("races") != std::string::npos; }

// _pyrace_instrument.install_for_argv(sys.argv, patterns): the import hook.
bool InstallImportHook(const Options& opts) {
  PyObject* inst = PyImport_ImportModule("_pyrace_instrument");
  if (inst == nullptr) return false;
  PyObject* argv = PySys_GetObject("argv");  // borrowed
  PyObject* r = PyObject_CallMethod(inst, "install_for_argv", "Os", argv != nullptr ? argv : Py_None,
                                    opts.instrument.c_str());
  Py_DECREF(inst);
  Py_XDECREF(r);
  return r != nullptr;
}

}  // namespace
}  // namespace pyrace::py

int pyrace_access_init(PyObject* module, pyrace::py::Recorder* rec) {
  using namespace pyrace::py;
  g_rec = rec;
  if (g_hook_type == nullptr && !ReadyTypes()) return -1;
  if (!AccessRegistry::Get().Init(rec)) return -1;
  if (PyModule_AddFunctions(module, g_functions) < 0) return -1;
  g_races = RacesEnabled(rec->options());
  if (g_thread_local_type == nullptr) {
    PyObject* thread = PyImport_ImportModule("_thread");
    PyObject* local = thread != nullptr ? PyObject_GetAttrString(thread, "_local") : nullptr;
    Py_XDECREF(thread);
    if (local == nullptr) return -1;
    if (PyType_Check(local)) g_thread_local_type = reinterpret_cast<PyTypeObject*>(local);  // kept
    else Py_DECREF(local);
  }
  if (g_races && !InstallImportHook(rec->options())) return -1;
  return 0;
}

PyObject* pyrace_access_compile_main(PyObject* source, PyObject* path) {
  using namespace pyrace::py;
  if (!g_races) return nullptr;
  PyObject* inst = PyImport_ImportModule("_pyrace_instrument");
  if (inst == nullptr) return nullptr;
  PyObject* code = PyObject_CallMethod(inst, "compile_source", "OOs", source, path, "__main__");
  Py_DECREF(inst);
  return code;
}
