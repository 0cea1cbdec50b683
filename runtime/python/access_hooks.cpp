#include "runtime/python/access_hooks.h"

#include <structmember.h>

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/model/event.h"
#include "runtime/python/access_naming.h"
#include "runtime/python/access_objects.h"
#include "runtime/python/code_export.h"
#include "runtime/python/fd_handoff.h"
#include "runtime/python/frame_walk.h"
#include "runtime/python/holders.h"
#include "runtime/python/import_hook.h"
#include "runtime/python/lock_names.h"
#include "runtime/python/lock_types.h"
#include "runtime/python/recorder.h"
#include "runtime/python/threads.h"
#include "runtime/python/utf8.h"
#include "runtime/python/wrappers.h"

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
  kTruthTest,
  kGlobalCheck, kAttrCheck, kItemCheck, kCellCheck,
  kCount,
};

struct Site {
  SiteKind kind = SiteKind::kAttrRead;
  uint32_t serial = 0;  // unique in the process (AccessRegistry::Record's same-site rule)
  PyObject* name = nullptr;  // interned attribute / global / method name (owned)
  std::string text;          // how the accessed object reads in the source ("self.items")
  LocRecord* global = nullptr;  // globals: resolved on first use
  uint8_t flags = 0;            // of its accesses: Flags(kind), and kFlagCommutes
  // A method site's call on a collections.deque, documented thread-safe: appends send
  // a hand-off on the deque, pops receive it (docs/races.md, "hand-offs").
  bool deque_send = false, deque_receive = false;
  // The last type whose slot for this site was looked up (see RunsPython), by version
  // tag: a type changed since (a property added) gets a new tag.
  PyTypeObject* slot_type = nullptr;
  unsigned int slot_tag = 0;
  bool slot_python = false;
  // The two locations this site touched last, the newer first: a loop updates the
  // same object's attribute (or one of a few entries: `counts[even or odd] += 1`)
  // again and again, and this skips the registry's two hash lookups. Valid while the
  // registry has forgotten no object since (AccessRegistry::generation()).
  struct LastLocation {
    PyObject* obj = nullptr;
    uint64_t key = 0;
    uint64_t generation = 0;
    LocRecord* loc = nullptr;
  };
  LastLocation last[2];
  // Cells: where the variable sat in the frame of the code that ran this site last.
  PyCodeObject* cell_code = nullptr;  // compared only, never dereferenced before a check
  Py_ssize_t cell_index = -1;
};

LocRecord* CachedLocation(const Site& site, PyObject* obj, uint64_t key) {
  for (const Site::LastLocation& l : site.last) {
    if (l.obj == obj && l.key == key) {
      return l.generation == AccessRegistry::Get().generation() ? l.loc : nullptr;
    }
  }
  return nullptr;
}

void RememberLocation(Site& site, PyObject* obj, uint64_t key, LocRecord* loc) {
  site.last[1] = site.last[0];
  site.last[0] = Site::LastLocation{obj, key, AccessRegistry::Get().generation(), loc};
}

// One per rewritten module, alive for the process: the module's code refers to it
// through its hooks for as long as any of its functions may run.
struct SiteTable {
  std::string module;
  std::string filename;
  // The rewriter's tuple of (kind, line, name, text): its strings back Site::text, and a
  // pickled hook is rebuilt from it (HookReduce).
  PyObject* source = nullptr;
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
    case SiteKind::kTruthTest: case SiteKind::kGlobalCheck: case SiteKind::kAttrCheck:
    case SiteKind::kItemCheck: case SiteKind::kCellCheck:
      return kFlagReadModifyWrite;
    default:
      return 0;
  }
}

Recorder* g_rec = nullptr;

std::string SiteOwner(const Site& site, PyObject* obj) {
  return site.text.empty() ? OwnerName(obj) : site.text;
}

// --- what is worth recording --------------------------------------------------

// Per-type answers are keyed by the type's address and its version tag, and keep no
// reference to the type (a class lives as long as the program lets it): a class
// freed and another made at its address gets a new tag, as does a class modified
// since. 0: the type has no valid tag (the interpreter ran out of them for it), and
// its answer is not remembered.
struct TypeKey {
  PyTypeObject* type = nullptr;
  unsigned int tag = 0;
  bool operator==(const TypeKey& o) const { return type == o.type && tag == o.tag; }
};

unsigned int CurrentTag(PyTypeObject* t) {
#if PY_VERSION_HEX >= 0x030C0000
  return t->tp_version_tag;
#else
  return (t->tp_flags & Py_TPFLAGS_VALID_VERSION_TAG) ? t->tp_version_tag : 0;
#endif
}

// The tag of t, assigned now if it has none yet (as the interpreter's first method
// cache lookup on the type would).
unsigned int VersionTag(PyTypeObject* t) {
  unsigned int tag = CurrentTag(t);
  if (tag != 0) return tag;
#if PY_VERSION_HEX >= 0x030C0000
  PyUnstable_Type_AssignVersionTag(t);
#else
  static PyObject* probe = PyUnicode_InternFromString("__module__");
  if (probe != nullptr) (void)_PyType_Lookup(t, probe);  // borrowed result; assigns the tag
#endif
  return CurrentTag(t);
}

// Remembers the last type's answer before a table: the ints and dicts of a hot loop.
class TypeAnswers {
 public:
  // The remembered answer for t, or -1.
  int Find(PyTypeObject* t) {
    unsigned int tag = CurrentTag(t);
    if (tag == 0) return -1;
    TypeKey k{t, tag};
    if (k == last_) return last_answer_;
    auto it = table_.find(t);
    if (it == table_.end() || it->second.tag != tag) return -1;
    last_ = k;
    last_answer_ = it->second.answer;
    return last_answer_;
  }
  void Remember(PyTypeObject* t, bool answer) {
    unsigned int tag = VersionTag(t);
    if (tag == 0) return;
    table_[t] = Entry{tag, answer};
    last_ = TypeKey{t, tag};
    last_answer_ = answer;
  }

 private:
  struct Entry {
    unsigned int tag;
    bool answer;
  };
  std::unordered_map<PyTypeObject*, Entry> table_;  // one entry per address: a dead class's is overwritten
  TypeKey last_;
  bool last_answer_ = false;
};

// Reading a lock, a function, a class or a module out of a variable is how code
// reaches its synchronization and its code, not shared data: such reads are not
// recorded (their writes are).
bool IsSyncOrCode(PyObject* v) {
  static TypeAnswers answers;
  PyTypeObject* t = Py_TYPE(v);
  int known = answers.Find(t);
  if (known >= 0) return known != 0;
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
  answers.Remember(t, skip);
  return skip;
}

bool IsContainer(PyObject* o) {
  return PyDict_Check(o) || PyList_Check(o) || PyAnySet_Check(o) || PyByteArray_Check(o);
}

// --- user-defined containers and attributes --------------------------------------

// A builtin slot or descriptor: the access it implements is C, an operation on the
// object's own storage (a dict subclass that only adds methods is still a dict).
bool IsBuiltinDescriptor(PyObject* d) {
  PyTypeObject* dt = Py_TYPE(d);
  return dt == &PyWrapperDescr_Type || dt == &PyMethodDescr_Type || dt == &PyClassMethodDescr_Type ||
         dt == &PyMemberDescr_Type || dt == &PyGetSetDescr_Type || PyCFunction_Check(d);
}

PyObject* Interned(const char* s) {
  PyObject* o = PyUnicode_InternFromString(s);  // kept for the process
  if (o == nullptr) PyErr_Clear();
  return o;
}

// The site's last answer for this type, if the type has not changed since.
bool CachedSlotAnswer(const Site& site, PyTypeObject* t, bool* answer) {
  if (site.slot_type != t || t->tp_version_tag == 0 || site.slot_tag != t->tp_version_tag) return false;
  *answer = site.slot_python;
  return true;
}

void RememberSlotAnswer(Site& site, PyTypeObject* t, bool answer) {
  site.slot_type = t;
  site.slot_tag = t->tp_version_tag;
  site.slot_python = answer;
}

// Whether a subscript, `in` or method call on obj runs Python code: its class
// implements `dunder` (__getitem__, __setitem__, __delitem__, __contains__, or the
// method's name) in Python. Then the access at the call site is a call, not an access
// of a location: what that code does is what counts (jinja2's LRUCache takes its own
// lock in __getitem__). Static types are C all the way down.
bool SlotRunsPython(Site& site, PyObject* obj, PyObject* dunder) {
  PyTypeObject* t = Py_TYPE(obj);
  if (!(t->tp_flags & Py_TPFLAGS_HEAPTYPE) || dunder == nullptr) return false;
  bool answer = false;
  if (CachedSlotAnswer(site, t, &answer)) return answer;
  PyObject* d = _PyType_Lookup(t, dunder);  // borrowed
  answer = d != nullptr && !IsBuiltinDescriptor(d);
  RememberSlotAnswer(site, t, answer);
  return answer;
}

// The same for an attribute: a property, a descriptor class written in Python, or a
// class with a Python __getattribute__ / __getattr__ (reads) or __setattr__ /
// __delattr__ (writes) makes `obj.name` a call into that code.
bool AttrRunsPython(Site& site, PyObject* obj, bool write) {
  static PyObject* const kGetAttribute = Interned("__getattribute__");
  static PyObject* const kGetAttr = Interned("__getattr__");
  static PyObject* const kSetAttr = Interned("__setattr__");
  static PyObject* const kDelAttr = Interned("__delattr__");
  PyTypeObject* t = Py_TYPE(obj);
  if (!(t->tp_flags & Py_TPFLAGS_HEAPTYPE)) return false;
  bool answer = false;
  if (CachedSlotAnswer(site, t, &answer)) return answer;
  auto python = [&](PyObject* name) {
    PyObject* d = name != nullptr ? _PyType_Lookup(t, name) : nullptr;
    return d != nullptr && !IsBuiltinDescriptor(d);
  };
  if (write) {
    bool del = site.kind == SiteKind::kAttrDel;
    answer = t->tp_setattro != PyObject_GenericSetAttr && python(del ? kDelAttr : kSetAttr);
  } else {
    answer = t->tp_getattro != PyObject_GenericGetAttr && (python(kGetAttribute) || python(kGetAttr));
  }
  if (!answer) {
    PyObject* d = _PyType_Lookup(t, site.name);  // borrowed
    if (d != nullptr) {
      PyTypeObject* dt = Py_TYPE(d);
      bool user_descriptor = (dt->tp_flags & Py_TPFLAGS_HEAPTYPE) &&
                             (write ? dt->tp_descr_set != nullptr : dt->tp_descr_get != nullptr);
      answer = dt == &PyProperty_Type || user_descriptor;
    }
  }
  RememberSlotAnswer(site, t, answer);
  return answer;
}

PyObject* const* ItemDunders() {
  static PyObject* const kNames[] = {Interned("__getitem__"), Interned("__setitem__"),
                                     Interned("__delitem__"), Interned("__contains__")};
  return kNames;
}
enum ItemSlot { kGetItemSlot = 0, kSetItemSlot, kDelItemSlot, kContainsSlot };

bool ItemRunsPython(Site& site, PyObject* obj, ItemSlot slot) {
  if (PyDict_CheckExact(obj) || PyList_CheckExact(obj)) return false;
  return SlotRunsPython(site, obj, ItemDunders()[slot]);
}

// --- hand-offs through collections.deque ------------------------------------------

PyTypeObject* g_deque_type = nullptr;

bool IsDeque(PyObject* o) { return g_deque_type != nullptr && PyObject_TypeCheck(o, g_deque_type); }

// The deque's hand-off channel, made on first use and forgotten with the deque.
uint64_t DequeChannel(PyObject* dq) {
  ObjRec* rec = AccessRegistry::Get().Track(dq);
  if (rec == nullptr) return 0;
  if (rec->sync == 0) rec->sync = g_rec->NextSyncId();
  return rec->sync;
}

void DequeHandoff(PyObject* dq, EventKind kind) {
  uint64_t channel = DequeChannel(dq);
  if (channel != 0) g_rec->Emit(kind, channel, 0, 0, CallSiteStack());
}

// --- recording ----------------------------------------------------------------

// Until a second thread exists, every access is ordered before everything a later
// thread does (the start edge carries it): nothing needs recording, and most programs
// never start a thread. The thread registry has a record for a thread before it is
// started; a thread pyrace did not start (made by C code) has none until it is
// registered, and counts as soon as it calls a hook.
bool g_threads_seen = false;

bool Recording() {
  if (g_rec == nullptr || !g_rec->recording()) return false;
  if (!g_threads_seen) {
    ThreadRegistry& threads = g_rec->threads();
    g_threads_seen = threads.all().size() > 1 || threads.CurrentOrNull() == nullptr;
  }
  return g_threads_seen;
}

// The single-thread probe: rewritten code asks `st in st` before an access whose
// operands are names or constants, and runs the interpreter's own operation instead of
// the hook while nothing is recorded (rewriter.py, _while_recording). A slot, not a
// call: CONTAINS_OP reaches it with no argument tuple, arity or site to decode. The
// answer flips once, when the program gets its second thread, and every running frame
// sees it at its next access.
bool g_hooks_single_thread = false;  // the option of that name: the hooked path always

int ProbeContains(PyObject* /*self*/, PyObject* /*item*/) { return g_hooks_single_thread || Recording() ? 0 : 1; }

PyTypeObject* g_probe_type = nullptr;
PyObject* g_probe = nullptr;

// The container probe: rewritten code asks `obj not in cp` before c(obj, site) when obj
// is a name or constant (rewriter.py, _container), so a method call or shape read on
// anything but a builtin container or a deque skips the hook, recording or not.
int ContainerProbeContains(PyObject* /*self*/, PyObject* obj) {
  if (!g_hooks_single_thread && !Recording()) return 0;
  // A hot loop calls methods of one user class, whose MRO the set and deque checks
  // would walk on every call.
  static TypeAnswers answers;
  PyTypeObject* t = Py_TYPE(obj);
  int known = answers.Find(t);
  if (known >= 0) return known;
  const bool answer = IsContainer(obj) || IsDeque(obj);
  answers.Remember(t, answer);
  return answer ? 1 : 0;
}

PyTypeObject* g_container_probe_type = nullptr;
PyObject* g_container_probe = nullptr;

void RecordGlobal(SiteTable& table, Site& site, uint8_t flags) {
  if (site.global == nullptr) {
    site.global = AccessRegistry::Get().Global(table.module + "." + Utf8(site.name));
  }
  AccessRegistry::Get().Record(*site.global, flags, site.serial);
}

PyTypeObject* g_thread_local_type = nullptr;  // _thread._local: each thread sees its own attributes

// A hot loop updates the attributes of one class, whose MRO PyObject_TypeCheck would
// walk on every access.
bool IsThreadLocal(PyObject* obj) {
  static TypeAnswers answers;
  PyTypeObject* t = Py_TYPE(obj);
  int known = answers.Find(t);
  if (known >= 0) return known != 0;
  bool answer = g_thread_local_type != nullptr && PyType_IsSubtype(t, g_thread_local_type);
  if (!answer) {
    // _threading_local.local, the pure-Python one, gives each thread its own
    // attributes the same way (looked up without running code: no module __getattr__).
    PyObject* mod = PyDict_GetItemString(PyImport_GetModuleDict(), "_threading_local");  // borrowed
    PyObject* local = mod != nullptr && PyModule_Check(mod)
                          ? PyDict_GetItemString(PyModule_GetDict(mod), "local")  // borrowed
                          : nullptr;
    answer = local != nullptr && PyType_Check(local) &&
             PyType_IsSubtype(t, reinterpret_cast<PyTypeObject*>(local));
  }
  answers.Remember(t, answer);
  return answer;
}

void RecordAttr(PyObject* obj, Site& site, uint8_t flags) {
  AccessRegistry& reg = AccessRegistry::Get();
  if (LocRecord* cached = CachedLocation(site, obj, 0)) return reg.Record(*cached, flags, site.serial);
  if (IsThreadLocal(obj)) return;
  if (AttrRunsPython(site, obj, (flags & kFlagWrite) != 0)) return;
  if (PyModule_Check(obj)) {
    const char* mod = PyModule_GetName(obj);
    if (mod == nullptr) {
      PyErr_Clear();
      return;
    }
    reg.Record(*reg.Global(std::string(mod) + "." + Utf8(site.name)), flags, site.serial);
    return;
  }
  ObjRec* rec = reg.Track(obj);
  if (rec == nullptr) return;
  uint64_t key = reinterpret_cast<uintptr_t>(site.name);
  LocRecord& loc = reg.Location(rec, KeyTag::kAttr, key,
                                [&] { return OwnerName(obj) + "." + Utf8(site.name); });
  RememberLocation(site, obj, 0, &loc);
  reg.Record(loc, flags, site.serial);
}

// The container's shape: its size and iteration order (docs/races.md).
void RecordWhole(PyObject* obj, Site& site, uint8_t flags) {
  AccessRegistry& reg = AccessRegistry::Get();
  ObjRec* rec = reg.Track(obj);
  if (rec == nullptr) return;
  LocRecord& loc = reg.Location(rec, KeyTag::kWhole, 0, [&] { return SiteOwner(site, obj); });
  reg.Record(loc, flags | kFlagShape, site.serial);
}

// Whether hashing key runs none of the program's code: the builtin scalars, tuples and
// frozensets of them, and objects with object's identity hash. A user __hash__ runs as
// often under pyrace as without it (test_dict counts the calls).
bool HashRunsNoCode(PyObject* key, int depth = 0) {
  PyTypeObject* t = Py_TYPE(key);
  if (t == &PyUnicode_Type || t == &PyLong_Type || t == &PyFloat_Type || t == &PyBytes_Type ||
      t == &PyBool_Type || key == Py_None || t == &PyComplex_Type || t == &PyFrozenSet_Type ||
      t->tp_hash == PyBaseObject_Type.tp_hash) {
    return true;
  }
  if (t != &PyTuple_Type || depth > 3) return false;
  for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(key); ++i) {
    if (!HashRunsNoCode(PyTuple_GET_ITEM(key, i), depth + 1)) return false;
  }
  return true;
}

// The size of a builtin container, or -1: an insert or delete changes the shape.
Py_ssize_t ShapeSize(PyObject* o) {
  if (PyDict_Check(o)) return PyDict_GET_SIZE(o);
  if (PyList_Check(o)) return PyList_GET_SIZE(o);
  if (PyAnySet_Check(o)) return PySet_GET_SIZE(o);
  if (PyByteArray_Check(o)) return PyByteArray_GET_SIZE(o);
  return -1;
}

uint64_t Mix(uint64_t x) {  // splitmix64's finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Which entry a key names: equal keys (1, 1.0, True) one location, unequal keys another
// even when their hashes are equal (hash(-1) == hash(-2) in CPython; so are the hashes
// of (-1,) and (-2,)). Integers, and floats with an integral value, go by value; tuples
// by their items; other keys by hash (str and bytes hashes are randomized, a
// collision there is as unlikely as any 64-bit one). false: unhashable.
bool KeyIdentity(PyObject* key, uint64_t* out) {
  // The commonest key, an exact str, carries its hash once it has been hashed (a dict
  // lookup did it): no call, and the same value as PyObject_Hash below.
  if (PyUnicode_CheckExact(key)) {
    const Py_hash_t h = reinterpret_cast<PyASCIIObject*>(key)->hash;
    if (h != -1) {
      *out = static_cast<uint64_t>(h);
      return true;
    }
  }
  if (PyLong_Check(key)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(key, &overflow);
    if (overflow == 0 && !(v == -1 && PyErr_Occurred())) {
      *out = Mix(static_cast<uint64_t>(v) ^ 0x5bd1e995ULL);
      return true;
    }
    PyErr_Clear();
  } else if (PyFloat_Check(key)) {
    double d = PyFloat_AS_DOUBLE(key);
    // The range test first: converting NaN or an out-of-range value is undefined.
    if (d > -9.2e18 && d < 9.2e18 && d == static_cast<double>(static_cast<long long>(d))) {
      *out = Mix(static_cast<uint64_t>(static_cast<long long>(d)) ^ 0x5bd1e995ULL);
      return true;
    }
  } else if (PyTuple_CheckExact(key)) {
    uint64_t h = 0x345678ULL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(key); ++i) {
      uint64_t item = 0;
      if (!KeyIdentity(PyTuple_GET_ITEM(key, i), &item)) return false;
      h = Mix(h ^ item) + static_cast<uint64_t>(i);
    }
    *out = h;
    return true;
  }
  // Hashing again would run a key's own __hash__ a second time: such a key is identified
  // by the key object itself.
  if (!HashRunsNoCode(key)) {
    *out = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(key));
    return true;
  }
  Py_hash_t h = PyObject_Hash(key);
  if (h == -1 && PyErr_Occurred()) {
    PyErr_Clear();
    return false;
  }
  *out = static_cast<uint64_t>(h);
  return true;
}

// Items: a list slot by its index, a dict (or other) entry by its key (KeyIdentity). What
// has no stable key (an unhashable key, a slice) is the whole container.
void RecordItem(PyObject* obj, PyObject* key, Site& site, uint8_t flags) {
  uint64_t k = 0;
  // A dict first: PyByteArray_Check walks the MRO of anything that is not one.
  if (!PyDict_CheckExact(obj) && (PyList_Check(obj) || PyByteArray_Check(obj))) {
    if (!PyLong_Check(key)) return RecordWhole(obj, site, flags);
    Py_ssize_t i = PyLong_AsSsize_t(key);
    if (i == -1 && PyErr_Occurred()) {
      PyErr_Clear();
      return RecordWhole(obj, site, flags);
    }
    // The size as stored (a subclass's __len__ is the program's code).
    if (i < 0) i += PyList_Check(obj) ? PyList_GET_SIZE(obj) : PyByteArray_GET_SIZE(obj);
    k = static_cast<uint64_t>(i);
  } else if (!KeyIdentity(key, &k)) {
    return RecordWhole(obj, site, flags);
  }
  AccessRegistry& reg = AccessRegistry::Get();
  // The key's tag bit keeps an entry apart from the attribute cached at key 0.
  if (LocRecord* cached = CachedLocation(site, obj, k | (uint64_t{1} << 63))) {
    return reg.Record(*cached, flags, site.serial);
  }
  ObjRec* rec = reg.Track(obj);
  if (rec == nullptr) return;
  LocRecord& loc = reg.Location(rec, KeyTag::kItem, k,
                                [&] { return SiteOwner(site, obj) + "[" + KeyText(key) + "]"; });
  RememberLocation(site, obj, k | (uint64_t{1} << 63), &loc);
  reg.Record(loc, flags, site.serial);
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
    RecordGlobal(*reinterpret_cast<HookObject*>(self)->table, *s, s->flags);
  }
  return Py_NewRef(args[0]);
}

// gw(site): a module global was assigned (or updated in place, or deleted).
PyObject* HookGlobalWrite(HOOK_ARGS) {
  if (!Arity(self, NARGS, 1)) return nullptr;
  Site* s = SiteArg(self, args[0]);
  if (s == nullptr) return nullptr;
  if (Recording()) RecordGlobal(*reinterpret_cast<HookObject*>(self)->table, *s, s->flags);
  Py_RETURN_NONE;
}

PyObject* GetAttrAt(PyObject* obj, Site& s) {
  PyObject* v = PyObject_GetAttr(obj, s.name);
  if (v != nullptr && Recording() && !IsSyncOrCode(v)) RecordAttr(obj, s, s.flags);
  return v;
}

// ga(obj, site) -> getattr(obj, name)
PyObject* HookGetAttr(HOOK_ARGS) {
  if (!Arity(self, NARGS, 2)) return nullptr;
  Site* s = SiteArg(self, args[1]);
  return s != nullptr ? GetAttrAt(args[0], *s) : nullptr;
}

PyObject* SetAttrAt(PyObject* value, PyObject* obj, Site& s) {
  if (PyObject_SetAttr(obj, s.name, value) < 0) return nullptr;
  if (Recording()) RecordAttr(obj, s, s.flags);
  // Named even while accesses are not recorded (one thread): locks are mostly stored
  // before the threads that share them start.
  NameStoredLock(value, s.text, s.name);
  Py_RETURN_NONE;
}

// sa(value, obj, site): obj.name = value
PyObject* HookSetAttr(HOOK_ARGS) {
  if (!Arity(self, NARGS, 3)) return nullptr;
  Site* s = SiteArg(self, args[2]);
  return s != nullptr ? SetAttrAt(args[0], args[1], *s) : nullptr;
}

// da(obj, site): del obj.name
PyObject* HookDelAttr(HOOK_ARGS) {
  if (!Arity(self, NARGS, 2)) return nullptr;
  Site* s = SiteArg(self, args[1]);
  if (s == nullptr) return nullptr;
  if (PyObject_DelAttr(args[0], s->name) < 0) return nullptr;
  if (Recording()) RecordAttr(args[0], *s, s->flags);
  Py_RETURN_NONE;
}

// ra(obj, site): records a store the statement before did itself (obj.x += v).
PyObject* HookRecordAttr(HOOK_ARGS) {
  if (!Arity(self, NARGS, 2)) return nullptr;
  Site* s = SiteArg(self, args[1]);
  if (s == nullptr) return nullptr;
  if (Recording()) RecordAttr(args[0], *s, s->flags);
  Py_RETURN_NONE;
}

// A site probe: a hook bound to one site, reached through a slot instead of a call
// (rewriter.py, _site_probe and the forms that use it). A call is an instruction the
// interpreter cannot specialize for a hook, decodes its arguments and site number, and
// is a point where the thread may hand the GIL over, inside the program's critical
// section (where plainly, in `with lock: self.n += 1`, there is none); a slot is none
// of these.
//   ra#k: `obj in probe` records obj.x's store by the statement before, at site k, and
//         is False; nothing while the program has one thread, so no single-thread test
//         comes before it.
//   ri#k: `(obj, key) in probe`, the same for obj[key].
//   sa#k: `probe[value, obj]` is sa(value, obj, k): obj.x = value, recorded; None.
//   si#k: `probe[value, obj, key]` is si(value, obj, key, k): obj[key] = value; None.
//   ga#k: `probe[obj]` is ga(obj, k): obj.x, recorded.
//   gi#k: `probe[obj, key]` is gi(obj, key, k): obj[key], recorded.
//   aa#k: `probe[obj]` is aa's update target for obj.x.
//   ai#k, ai#k#ka: `probe[obj, key]` and `probe[owner.attr, key, owner]` are ai's update
//         target (the second also records the read of owner.attr at site ka).
enum class ProbeHook : uint8_t { kRecordAttr, kRecordItem, kSetAttr, kSetItem, kGetAttr, kGetItem, kUpdateAttr,
                                  kUpdateItem };

struct ProbeDef {
  const char* name;  // the hook's
  ProbeHook hook;
  size_t max_sites;
};

const ProbeDef kProbeDefs[] = {
    {"ra", ProbeHook::kRecordAttr, 1},
    {"ri", ProbeHook::kRecordItem, 1},
    {"sa", ProbeHook::kSetAttr, 1},
    {"si", ProbeHook::kSetItem, 1},
    {"ga", ProbeHook::kGetAttr, 1},
    {"gi", ProbeHook::kGetItem, 1},
    {"aa", ProbeHook::kUpdateAttr, 1},
    {"ai", ProbeHook::kUpdateItem, 2},
};

struct SiteProbe {
  PyObject_HEAD
  SiteTable* table;
  const ProbeDef* def;
  uint32_t site;
  uint32_t attr_site;  // ai#k#ka's ka; kNoAttrSite otherwise
};

constexpr uint32_t kNoAttrSite = UINT32_MAX;

PyTypeObject* g_site_probe_type = nullptr;

int SiteProbeContains(PyObject* self, PyObject* operand) {
  auto* p = reinterpret_cast<SiteProbe*>(self);
  const bool item = p->def->hook == ProbeHook::kRecordItem;
  if ((p->def->hook != ProbeHook::kRecordAttr && !item) || (item && (!PyTuple_CheckExact(operand) || PyTuple_GET_SIZE(operand) != 2))) {
    PyErr_SetString(PyExc_SystemError, "pyrace: bad use of a site probe");
    return -1;
  }
  if (!Recording()) return 0;
  Site& s = p->table->sites[p->site];
  if (!item) {
    RecordAttr(operand, s, s.flags);
  } else if (PyObject* obj = PyTuple_GET_ITEM(operand, 0); !ItemRunsPython(s, obj, kSetItemSlot)) {
    RecordItem(obj, PyTuple_GET_ITEM(operand, 1), s, s.flags);
  }
  return PyErr_Occurred() ? -1 : 0;
}

PyObject* GetItemAt(PyObject* obj, PyObject* key, Site& s) {
  PyObject* v = PyObject_GetItem(obj, key);
  if (v != nullptr && Recording() && !PyType_Check(obj) && !ItemRunsPython(s, obj, kGetItemSlot)) {
    RecordItem(obj, key, s, s.flags);
  }
  return v;
}

// gi(obj, key, site) -> obj[key]
PyObject* HookGetItem(HOOK_ARGS) {
  if (!Arity(self, NARGS, 3)) return nullptr;
  Site* s = SiteArg(self, args[2]);
  return s != nullptr ? GetItemAt(args[0], args[1], *s) : nullptr;
}

PyObject* SetItemAt(PyObject* value, PyObject* obj, PyObject* key, Site& s) {
  Py_ssize_t before = ShapeSize(obj);
  if (PyObject_SetItem(obj, key, value) < 0) return nullptr;
  if (Recording() && !ItemRunsPython(s, obj, kSetItemSlot)) {
    RecordItem(obj, key, s, s.flags);
    // A new key: the insert changes the shape too. Inserts of different keys commute.
    if (before >= 0 && ShapeSize(obj) != before) RecordWhole(obj, s, kFlagWrite | kFlagCommutes);
  }
  Py_RETURN_NONE;
}

// si(value, obj, key, site): obj[key] = value
PyObject* HookSetItem(HOOK_ARGS) {
  if (!Arity(self, NARGS, 4)) return nullptr;
  Site* s = SiteArg(self, args[3]);
  return s != nullptr ? SetItemAt(args[0], args[1], args[2], *s) : nullptr;
}

// di(obj, key, site): del obj[key]. Deleting a list slot moves the ones after it.
PyObject* HookDelItem(HOOK_ARGS) {
  if (!Arity(self, NARGS, 3)) return nullptr;
  Site* s = SiteArg(self, args[2]);
  if (s == nullptr) return nullptr;
  if (PyObject_DelItem(args[0], args[1]) < 0) return nullptr;
  if (Recording() && !ItemRunsPython(*s, args[0], kDelItemSlot)) {
    if (PyList_Check(args[0])) {
      RecordWhole(args[0], *s, s->flags);
    } else {
      RecordItem(args[0], args[1], *s, s->flags);
      // Deleting a key shrinks the shape; deletes and inserts of other keys commute.
      if (IsContainer(args[0])) RecordWhole(args[0], *s, kFlagWrite | kFlagCommutes);
    }
  }
  Py_RETURN_NONE;
}

// ri(obj, key, site): records a store the statement before did itself (d[k] += v).
PyObject* HookRecordItem(HOOK_ARGS) {
  if (!Arity(self, NARGS, 3)) return nullptr;
  Site* s = SiteArg(self, args[2]);
  if (s == nullptr) return nullptr;
  if (Recording() && !ItemRunsPython(*s, args[0], kSetItemSlot)) RecordItem(args[0], args[1], *s, s->flags);
  Py_RETURN_NONE;
}

bool MethodIsContainerAccess(Site& site, PyObject* obj) {
  if (!IsContainer(obj)) return false;
  bool method = site.kind >= SiteKind::kMethodRead && site.kind <= SiteKind::kMethodKeyWrite;
  return !method || !SlotRunsPython(site, obj, site.name);
}

// A collections.deque is a hand-off channel and a container: its mutations (atomic,
// documented thread-safe, appends at one end and pops at the other) commute with each
// other and write its shape, which iteration, len and copies read ("deque mutated
// during iteration"). Its truth test is not a read of it: `while not dq:` before a
// popleft is the hand-off's own idiom, and the popleft the edge. Recorded before a
// send, so that a receiver is ordered after the write.
void DequeShape(PyObject* dq, Site& site) {
  if (site.kind == SiteKind::kContainerRead || site.kind == SiteKind::kMethodRead) {
    RecordWhole(dq, site, site.flags);
  } else if (site.flags & kFlagWrite) {
    RecordWhole(dq, site, kFlagWrite | kFlagCommutes);
  }
}

// c(obj, site) -> obj: the container's shape is read (iterated, measured, sliced,
// truth-tested) or, before obj.method(...), written; a deque's append sends.
PyObject* HookContainer(HOOK_ARGS) {
  if (!Arity(self, NARGS, 2)) return nullptr;
  Site* s = SiteArg(self, args[1]);
  if (s == nullptr) return nullptr;
  if (Recording()) {
    if (MethodIsContainerAccess(*s, args[0])) {
      RecordWhole(args[0], *s, s->flags);
    } else if (IsDeque(args[0])) {
      DequeShape(args[0], *s);
      if (s->deque_send) DequeHandoff(args[0], EventKind::kHandoffSend);
    }
  }
  return Py_NewRef(args[0]);
}

// mc(method, site, *args) -> method(*args): a builtin container's method, looked up by
// the program itself (`obj.get`), so the lookup keeps its place in the evaluation
// order; the container is the bound method's receiver. The keyed dict methods (get,
// pop, setdefault...) touch the entry of their first argument.
PyObject* HookMethodCall(HOOK_ARGS) {
  size_t n = NARGS;
  if (n < 2) {
    Arity(self, n, 2);
    return nullptr;
  }
  Site* s = SiteArg(self, args[1]);
  if (s == nullptr) return nullptr;
  PyObject* method = args[0];
  PyObject* obj = BoundSelf(method);  // borrowed from the bound method
  bool recording = obj != nullptr && Recording();
  bool container = recording && MethodIsContainerAccess(*s, obj);
  bool keyed = container && PyDict_Check(obj) && n > 2 &&
               (s->kind == SiteKind::kMethodKeyRead || s->kind == SiteKind::kMethodKeyWrite);
  Py_ssize_t before = keyed ? ShapeSize(obj) : -1;
  bool deque = recording && !container && IsDeque(obj);
  if (keyed) {
    RecordItem(obj, args[2], *s, s->flags);
  } else if (container) {
    RecordWhole(obj, *s, s->flags);
  } else if (deque) {
    DequeShape(obj, *s);
    if (s->deque_send) DequeHandoff(obj, EventKind::kHandoffSend);
  }
  PyObject* r = PyObject_Vectorcall(method, args + 2, n - 2, nullptr);
  // setdefault inserting its key, pop(k) removing it: the shape changed too; such
  // inserts and removals of named keys commute with each other.
  if (r != nullptr && keyed && ShapeSize(obj) != before && Recording()) {
    RecordWhole(obj, *s, kFlagWrite | kFlagCommutes);
  }
  // After the pop: what it took out was put in before.
  if (r != nullptr && deque && s->deque_receive) DequeHandoff(obj, EventKind::kHandoffRecv);
  return r;
}

// in(item, container, site) -> item in container (or not in).
PyObject* HookContains(HOOK_ARGS) {
  if (!Arity(self, NARGS, 3)) return nullptr;
  Site* s = SiteArg(self, args[2]);
  if (s == nullptr) return nullptr;
  int r = PySequence_Contains(args[1], args[0]);
  if (r < 0) return nullptr;
  if (Recording() && IsContainer(args[1]) && !ItemRunsPython(*s, args[1], kContainsSlot)) {
    if (PyDict_Check(args[1])) {
      RecordItem(args[1], args[0], *s, s->flags);
    } else {
      RecordWhole(args[1], *s, s->flags);
    }
  }
  bool result = s->kind == SiteKind::kNotContains ? r == 0 : r == 1;
  return Py_NewRef(result ? Py_True : Py_False);
}

// --- closure cells --------------------------------------------------------------

#ifndef CO_FAST_CELL
#define CO_FAST_CELL 0x40
#define CO_FAST_FREE 0x80
#endif

// The cell of the watched variable site.name in the running frame: the cell object
// itself is the location, shared by the function owning it and every inner function
// closing over it, and distinct per activation. Found by name, so rewritten code
// needs no variable of its own to name it (it would show in locals()).
PyObject* FrameCell(Site& site) {
  RawFrame f = TopRawFrame();
  if (f == nullptr) return nullptr;
  PyCodeObject* code = RawCode(f);
#if PY_VERSION_HEX >= 0x030B0000
  PyObject* names = code->co_localsplusnames;
  PyObject* kinds = code->co_localspluskinds;
  auto is_cell = [&](Py_ssize_t i) {
    return PyTuple_GET_ITEM(names, i) == site.name &&
           (PyBytes_AS_STRING(kinds)[i] & (CO_FAST_CELL | CO_FAST_FREE)) != 0;
  };
  Py_ssize_t n = PyTuple_GET_SIZE(names);
  auto slot = [&](Py_ssize_t i) { return RawLocal(f, i); };
#else
  // 3.10: locals, then cells (co_cellvars), then free variables (co_freevars).
  Py_ssize_t ncells = PyTuple_GET_SIZE(code->co_cellvars);
  Py_ssize_t n = ncells + PyTuple_GET_SIZE(code->co_freevars);
  auto is_cell = [&](Py_ssize_t i) {
    PyObject* names = i < ncells ? code->co_cellvars : code->co_freevars;
    return PyTuple_GET_ITEM(names, i < ncells ? i : i - ncells) == site.name;
  };
  auto slot = [&](Py_ssize_t i) { return f->f_localsplus[code->co_nlocals + i]; };
#endif
  if (site.cell_code != code || site.cell_index < 0 || site.cell_index >= n || !is_cell(site.cell_index)) {
    site.cell_code = code;
    site.cell_index = -1;
    for (Py_ssize_t i = 0; i < n; ++i) {
      if (is_cell(i)) {
        site.cell_index = i;
        break;
      }
    }
    if (site.cell_index < 0) return nullptr;
  }
  PyObject* cell = slot(site.cell_index);
  return cell != nullptr && PyCell_Check(cell) ? cell : nullptr;
}

// The rewriter puts the qualified name of the function owning the cell in the
// site's text: reports name the variable "outer.done".
void RecordCell(Site& site, uint8_t flags) {
  PyObject* cell = FrameCell(site);
  if (cell == nullptr) return;
  AccessRegistry& reg = AccessRegistry::Get();
  ObjRec* rec = reg.Track(cell);
  if (rec == nullptr) return;
  LocRecord& loc = reg.Location(rec, KeyTag::kAttr, reinterpret_cast<uintptr_t>(site.name),
                                [&] { return site.text + "." + Utf8(site.name); });
  reg.Record(loc, flags, site.serial);
}

// nr(value, site) -> value: a watched closure variable was read.
PyObject* HookCellRead(HOOK_ARGS) {
  if (!Arity(self, NARGS, 2)) return nullptr;
  Site* s = SiteArg(self, args[1]);
  if (s == nullptr) return nullptr;
  if (Recording() && !IsSyncOrCode(args[0])) RecordCell(*s, s->flags);
  return Py_NewRef(args[0]);
}

// nw(site): a watched closure variable was assigned.
PyObject* HookCellWrite(HOOK_ARGS) {
  if (!Arity(self, NARGS, 1)) return nullptr;
  Site* s = SiteArg(self, args[0]);
  if (s == nullptr) return nullptr;
  if (Recording()) RecordCell(*s, s->flags);
  Py_RETURN_NONE;
}

// --- augmented assignment ---------------------------------------------------------

// aa(obj, site) / ai(obj, key, site) -> a target whose item (any index) stands for
// obj.<name> / obj[key]. `a.b.c += v` is rewritten `aa(a.b, site)[0] += v`: the object
// and key are evaluated once, in their place, with no variable of the program's; the
// read, the in-place operation and the store stay the interpreter's instructions, in
// the plain order and at the plain source positions. The store records the update.
struct AugTarget {
  PyObject_HEAD
  PyObject* obj;
  PyObject* key;  // null for an attribute
  Site* site;
};

PyTypeObject* g_aug_target_type = nullptr;
PyTypeObject* g_hook_type = nullptr;

// One dead target kept for the next update: a statement makes one per run, and the
// allocation was a measurable part of a `d[k] += v` loop. Revived with PyObject_Init,
// as CPython's own free lists do.
AugTarget* g_spare_target = nullptr;

void AugTargetDealloc(PyObject* self) {
  auto* t = reinterpret_cast<AugTarget*>(self);
  PyTypeObject* type = Py_TYPE(self);
  PyObject* obj = t->obj;
  PyObject* key = t->key;
  t->obj = t->key = nullptr;
  // Kept (or freed) before its references go: letting them go may run a finalizer
  // that makes another target.
  if (g_spare_target == nullptr) {
    g_spare_target = t;
  } else {
    type->tp_free(self);
  }
  Py_DECREF(type);
  Py_XDECREF(obj);
  Py_XDECREF(key);
}

PyObject* AugTargetGet(PyObject* self, PyObject* /*index*/) {
  auto* t = reinterpret_cast<AugTarget*>(self);
  return t->key != nullptr ? PyObject_GetItem(t->obj, t->key) : PyObject_GetAttr(t->obj, t->site->name);
}

int AugTargetSet(PyObject* self, PyObject* /*index*/, PyObject* value) {
  auto* t = reinterpret_cast<AugTarget*>(self);
  if (value == nullptr) {
    PyErr_SetString(PyExc_TypeError, "pyrace: an update target cannot be deleted");
    return -1;
  }
  int r = t->key != nullptr ? PyObject_SetItem(t->obj, t->key, value)
                            : PyObject_SetAttr(t->obj, t->site->name, value);
  if (r == 0 && Recording()) {
    if (t->key != nullptr) {
      if (!ItemRunsPython(*t->site, t->obj, kSetItemSlot)) RecordItem(t->obj, t->key, *t->site, t->site->flags);
    } else {
      RecordAttr(t->obj, *t->site, t->site->flags);
    }
  }
  return r;
}

PyObject* NewAugTarget(PyObject* obj, PyObject* key, Site* site) {
  AugTarget* t = g_spare_target;
  if (t != nullptr) {
    g_spare_target = nullptr;
    (void)PyObject_Init(reinterpret_cast<PyObject*>(t), g_aug_target_type);
  } else {
    t = PyObject_New(AugTarget, g_aug_target_type);
    if (t == nullptr) return nullptr;
  }
  t->obj = Py_NewRef(obj);
  t->key = Py_XNewRef(key);
  t->site = site;
  return reinterpret_cast<PyObject*>(t);
}

PyObject* HookAugAttr(HOOK_ARGS) {
  if (!Arity(self, NARGS, 2)) return nullptr;
  Site* s = SiteArg(self, args[1]);
  if (s == nullptr) return nullptr;
  return NewAugTarget(args[0], nullptr, s);
}

// ai's target for obj[key]. With an owner, `self.d[k] += v` rewritten
// `ai[self.d, k, self][k] += v` (the attribute read by the interpreter's own
// instruction, k a name or constant): obj itself, so that the subscript, the in-place
// operation and the store stay the interpreter's own, specialized for a dict, with no
// target object and no generic subscripts. The read of owner.attr that gave obj and the
// update of the entry are recorded now, as the statement starts; an update that then
// fails (a missing key) is recorded as the update it attempted (docs/races.md).
PyObject* UpdateTarget(PyObject* obj, PyObject* key, Site* s, PyObject* owner = nullptr, Site* attr = nullptr) {
  if (owner == nullptr) return NewAugTarget(obj, key, s);
  if (Recording()) {
    RecordAttr(owner, *attr, attr->flags);
    if (!ItemRunsPython(*s, obj, kSetItemSlot)) RecordItem(obj, key, *s, s->flags);
  }
  return Py_NewRef(obj);
}

// ai(obj, key, site) -> the update target, or ai(owner.attr, key, site, owner, attr_site)
// -> owner.attr itself (UpdateTarget). Rewritten code reaches it through its site probe (below).
PyObject* HookAugItem(HOOK_ARGS) {
  const size_t n = NARGS;
  if (n != 5 && !Arity(self, n, 3)) return nullptr;
  Site* s = SiteArg(self, args[2]);
  if (s == nullptr) return nullptr;
  Site* attr = n == 5 ? SiteArg(self, args[4]) : nullptr;
  if (n == 5 && attr == nullptr) return nullptr;
  return UpdateTarget(args[0], args[1], s, n == 5 ? args[3] : nullptr, attr);
}

// probe[obj] (ga, aa), probe[value, obj] (sa), probe[obj, key] (gi, ai),
// probe[value, obj, key] (si) or probe[owner.attr, key, owner] (ai): the hook bound to
// its sites.
PyObject* SiteProbeSubscript(PyObject* self, PyObject* args) {
  auto* p = reinterpret_cast<SiteProbe*>(self);
  Site& site = p->table->sites[p->site];
  const ProbeHook hook = p->def->hook;
  if (hook == ProbeHook::kGetAttr) return GetAttrAt(args, site);
  if (hook == ProbeHook::kUpdateAttr) return NewAugTarget(args, nullptr, &site);
  const Py_ssize_t want = hook == ProbeHook::kSetItem || p->attr_site != kNoAttrSite ? 3 : 2;
  if (hook == ProbeHook::kRecordAttr || hook == ProbeHook::kRecordItem || !PyTuple_CheckExact(args) ||
      PyTuple_GET_SIZE(args) != want) {
    PyErr_SetString(PyExc_SystemError, "pyrace: bad use of a site probe");
    return nullptr;
  }
  PyObject* const* op = &PyTuple_GET_ITEM(args, 0);
  if (hook == ProbeHook::kSetAttr) return SetAttrAt(op[0], op[1], site);
  if (hook == ProbeHook::kSetItem) return SetItemAt(op[0], op[1], op[2], site);
  if (hook == ProbeHook::kGetItem) return GetItemAt(op[0], op[1], site);
  const bool owner = want == 3;
  return UpdateTarget(op[0], op[1], &site, owner ? op[2] : nullptr, owner ? &p->table->sites[p->attr_site] : nullptr);
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
    {"in", HookContains},   {"nr", HookCellRead},    {"nw", HookCellWrite},   {"aa", HookAugAttr},
    {"ai", HookAugItem},
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
  static uint32_t next_serial = 0;
  out->kind = static_cast<SiteKind>(kind);
  out->serial = ++next_serial;
  Py_INCREF(name);
  PyUnicode_InternInPlace(&name);
  out->name = name;
  out->text = text;
  out->flags = Flags(out->kind);
  bool method = out->kind >= SiteKind::kMethodRead && out->kind <= SiteKind::kMethodKeyWrite;
  if (method) {
    std::string m = Utf8(name);
    // Atomic updates that commute with each other (docs/races.md): list.append and
    // extend, the set updates, dict.update and setdefault, removing a named element.
    // pop(), popitem(), insert(i, x), clear(), sort() and reverse() depend on the order.
    static const char* const kCommuting[] = {
        "append", "extend", "add", "discard", "remove", "update", "setdefault",
        "difference_update", "intersection_update", "symmetric_difference_update"};
    for (const char* c : kCommuting) {
      if (m == c && (out->flags & kFlagWrite)) out->flags |= kFlagCommutes;
    }
    out->deque_send = m == "append" || m == "appendleft" || m == "extend" || m == "extendleft";
    out->deque_receive = m == "pop" || m == "popleft";
  }
  return true;
}

// The tables by (module, filename, sites): a hook rebuilt from a pickle in this process
// gets its module's own table (the same sites, so the same locations), and the hooks of
// one module rebuilt one by one share one. {key: int(SiteTable*)}, for the process.
PyObject* g_tables = nullptr;

SiteTable* TableFor(const char* module, const char* filename, PyObject* sites) {
  if (g_tables == nullptr && (g_tables = PyDict_New()) == nullptr) return nullptr;
  PyObject* key = Py_BuildValue("(ssO)", module, filename, sites);
  if (key == nullptr) return nullptr;
  PyObject* known = PyDict_GetItemWithError(g_tables, key);  // borrowed
  if (known != nullptr || PyErr_Occurred()) {
    Py_DECREF(key);
    return known != nullptr ? static_cast<SiteTable*>(PyLong_AsVoidPtr(known)) : nullptr;
  }
  auto table = std::make_unique<SiteTable>();
  table->module = module;
  table->filename = filename;
  table->sites.resize(static_cast<size_t>(PyTuple_GET_SIZE(sites)));
  for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(sites); ++i) {
    if (!ParseSite(PyTuple_GET_ITEM(sites, i), &table->sites[static_cast<size_t>(i)])) {
      Py_DECREF(key);
      return nullptr;
    }
  }
  PyObject* ptr = PyLong_FromVoidPtr(table.get());
  const int stored = ptr != nullptr ? PyDict_SetItem(g_tables, key, ptr) : -1;
  Py_XDECREF(ptr);
  Py_DECREF(key);
  if (stored != 0) return nullptr;
  table->source = Py_NewRef(sites);
  return table.release();
}

PyObject* NewSiteProbe(const std::string& name, SiteTable* table);

// The hook or probe called `name`, of `table` (none for st and cp): a new reference,
// or null with an exception set.
PyObject* NewHook(const std::string& name, SiteTable* table) {
  if (name == "st" || name == "cp") return Py_NewRef(name == "st" ? g_probe : g_container_probe);
  if (name.find('#') != std::string::npos) return NewSiteProbe(name, table);
  const HookDef* def = nullptr;
  for (const HookDef& d : kHooks) {
    if (name == d.name) def = &d;
  }
  if (def == nullptr) return PyErr_Format(PyExc_ValueError, "pyrace: no access hook named %s", name.c_str());
  if (table == nullptr) return PyErr_Format(PyExc_TypeError, "pyrace: access hook %s needs its sites", def->name);
  auto* h = PyObject_New(HookObject, g_hook_type);
  if (h == nullptr) return nullptr;
  h->vectorcall = def->fn;
  h->table = table;
  h->name = def->name;
  return reinterpret_cast<PyObject*>(h);
}

// The site numbers after each '#' of a probe's name into sites; false if one is not a
// number.
bool ParseProbeSites(const std::string& name, size_t hash, std::vector<unsigned long>* sites) {
  while (hash != std::string::npos) {
    const char* begin = name.c_str() + hash + 1;
    char* end = nullptr;
    sites->push_back(std::strtoul(begin, &end, 10));
    if (end == begin || (*end != '\0' && *end != '#')) return false;
    hash = *end == '#' ? static_cast<size_t>(end - name.c_str()) : std::string::npos;
  }
  return true;
}

// "ra#k", "ri#k", "sa#k", "si#k", "ga#k", "gi#k", "aa#k", "ai#k", "ai#k#ka": a site
// probe (kProbeDefs).
PyObject* NewSiteProbe(const std::string& name, SiteTable* table) {
  const size_t hash = name.find('#');
  const ProbeDef* def = nullptr;
  for (const ProbeDef& d : kProbeDefs) {
    if (name.compare(0, hash, d.name) == 0) def = &d;
  }
  std::vector<unsigned long> sites;
  if (def == nullptr || !ParseProbeSites(name, hash, &sites) || sites.size() > def->max_sites) {
    return PyErr_Format(PyExc_ValueError, "pyrace: no site probe named %s", name.c_str());
  }
  if (table == nullptr) return PyErr_Format(PyExc_TypeError, "pyrace: site probe %s needs its sites", name.c_str());
  for (unsigned long k : sites) {
    if (k >= table->sites.size()) return PyErr_Format(PyExc_SystemError, "pyrace: bad access site %lu", k);
  }
  auto* p = PyObject_New(SiteProbe, g_site_probe_type);
  if (p == nullptr) return nullptr;
  p->table = table;
  p->def = def;
  p->site = static_cast<uint32_t>(sites[0]);
  p->attr_site = sites.size() == 2 ? static_cast<uint32_t>(sites[1]) : kNoAttrSite;
  return reinterpret_cast<PyObject*>(p);
}

// access_hooks(names, module, filename, sites) -> tuple of hooks in `names` order.
PyObject* AccessHooks(PyObject* /*module*/, PyObject* args) {
  PyObject *names = nullptr, *sites = nullptr;
  const char *module = nullptr, *filename = nullptr;
  if (!PyArg_ParseTuple(args, "O!ssO!:access_hooks", &PyTuple_Type, &names, &module, &filename,
                        &PyTuple_Type, &sites)) {
    return nullptr;
  }
  SiteTable* table = TableFor(module, filename, sites);
  if (table == nullptr) return nullptr;
  PyObject* out = PyTuple_New(PyTuple_GET_SIZE(names));
  if (out == nullptr) return nullptr;
  for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(names); ++i) {
    PyObject* hook = NewHook(Utf8(PyTuple_GET_ITEM(names, i)), table);
    if (hook == nullptr) {
      Py_DECREF(out);
      return nullptr;
    }
    PyTuple_SET_ITEM(out, i, hook);
  }
  return out;
}

// access_hook(name[, module, filename, sites]) -> one hook: what a pickled hook or probe
// is rebuilt with (HookReduce).
PyObject* AccessHook(PyObject* /*module*/, PyObject* args) {
  const char *name = nullptr, *module = nullptr, *filename = nullptr;
  PyObject* sites = nullptr;
  if (!PyArg_ParseTuple(args, "s|ssO!:access_hook", &name, &module, &filename, &PyTuple_Type, &sites)) {
    return nullptr;
  }
  SiteTable* table = nullptr;
  if (sites != nullptr && (table = TableFor(module, filename, sites)) == nullptr) return nullptr;
  return NewHook(name, table);
}

// Rewritten code holds its hooks as constants, and what pickles code by value
// (cloudpickle, dill: the functions a process pool sends its workers) pickles its
// constants: a hook pickles as the call of _pyrace.access_hook that rebuilds it, in any
// process pyrace runs (a followed child, the same process). A process without pyrace
// cannot load it (docs/runtime.md).
PyObject* g_access_hook_fn = nullptr;

PyObject* HookReduce(PyObject* self, PyObject* /*unused*/) {
  auto* h = reinterpret_cast<HookObject*>(self);
  return Py_BuildValue("O(sssO)", g_access_hook_fn, h->name, h->table->module.c_str(),
                       h->table->filename.c_str(), h->table->source);
}
PyObject* SiteProbeReduce(PyObject* self, PyObject* /*unused*/) {
  auto* p = reinterpret_cast<SiteProbe*>(self);
  std::string name = std::string(p->def->name) + "#" + std::to_string(p->site);
  if (p->attr_site != kNoAttrSite) name += "#" + std::to_string(p->attr_site);
  return Py_BuildValue("O(sssO)", g_access_hook_fn, name.c_str(), p->table->module.c_str(),
                       p->table->filename.c_str(), p->table->source);
}
PyObject* ProbeReduce(PyObject* self, PyObject* /*unused*/) {
  return Py_BuildValue("O(s)", g_access_hook_fn, self == g_probe ? "st" : "cp");
}

// A site probe's placeholder is its hook's and "#k" per site (rewriter.py, _site_probe):
// the probe of that hook's table for those sites, a new reference; null for another
// string (with an exception set if it named a probe wrongly).
PyObject* SiteProbeFor(PyObject* constant, PyObject* hooks) {
  // Placeholders start with NUL: any other string is left as it is, not even encoded
  // (encoding caches a UTF-8 copy in the program's string).
  if (PyUnicode_GET_LENGTH(constant) == 0 || PyUnicode_READ_CHAR(constant, 0) != 0) return nullptr;
  Py_ssize_t n = 0;
  const char* text = PyUnicode_AsUTF8AndSize(constant, &n);
  if (text == nullptr) {
    PyErr_Clear();
    return nullptr;
  }
  const std::string_view s(text, static_cast<size_t>(n));
  const size_t hash = s.find('#');
  if (s.empty() || s[0] != '\0' || hash == std::string_view::npos) return nullptr;
  PyObject* base = PyUnicode_FromStringAndSize(text, static_cast<Py_ssize_t>(hash));
  if (base == nullptr) return nullptr;
  PyObject* hook = PyDict_GetItemWithError(hooks, base);  // borrowed
  Py_DECREF(base);
  if (hook == nullptr) return nullptr;
  if (Py_TYPE(hook) != g_hook_type) {
    return PyErr_Format(PyExc_SystemError, "pyrace: no site probe for placeholder %R", constant);
  }
  auto* h = reinterpret_cast<HookObject*>(hook);
  return NewSiteProbe(std::string(h->name) + std::string(s.substr(hash)), h->table);
}

bool BindConstants(PyCodeObject* code, PyObject* hooks, int depth) {
  PyObject* consts = code->co_consts;
  if (consts == nullptr || !PyTuple_Check(consts) || depth > 200) return true;
  for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(consts); ++i) {
    PyObject* c = PyTuple_GET_ITEM(consts, i);
    if (PyUnicode_CheckExact(c)) {
      PyObject* hook = PyDict_GetItemWithError(hooks, c);  // borrowed
      if (hook == nullptr && PyErr_Occurred()) return false;
      PyObject* probe = hook == nullptr ? SiteProbeFor(c, hooks) : nullptr;
      if (probe == nullptr && PyErr_Occurred()) return false;
      if (hook != nullptr || probe != nullptr) {
        PyTuple_SET_ITEM(consts, i, hook != nullptr ? Py_NewRef(hook) : probe);
        Py_DECREF(c);
      }
    } else if (PyCode_Check(c) && !BindConstants(reinterpret_cast<PyCodeObject*>(c), hooks, depth + 1)) {
      return false;
    }
  }
  return true;
}

bool HoldsHooks(PyCodeObject* code, int depth) {
  PyObject* consts = code->co_consts;
  if (consts == nullptr || !PyTuple_Check(consts) || depth > 200) return false;
  for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(consts); ++i) {
    PyObject* c = PyTuple_GET_ITEM(consts, i);
    if (Py_TYPE(c) == g_hook_type || Py_TYPE(c) == g_probe_type || Py_TYPE(c) == g_container_probe_type ||
        Py_TYPE(c) == g_site_probe_type) {
      return true;
    }
    if (PyCode_Check(c) && HoldsHooks(reinterpret_cast<PyCodeObject*>(c), depth + 1)) return true;
  }
  return false;
}

// bind_code(code, {placeholder: hook}): puts a rewritten module's hooks where the
// rewriter left their placeholder constants, in code's constants and in its nested
// code objects', in place, before the code first runs. In place, not code.replace():
// replace() rebuilds the kinds of the locals from their names and loses what names
// cannot say (3.12's hidden locals of inlined comprehensions, which then show in a
// class body's locals()).
PyObject* BindCode(PyObject* /*module*/, PyObject* args) {
  PyObject *code = nullptr, *hooks = nullptr;
  if (!PyArg_ParseTuple(args, "O!O!:bind_code", &PyCode_Type, &code, &PyDict_Type, &hooks)) return nullptr;
  if (!BindConstants(reinterpret_cast<PyCodeObject*>(code), hooks, 0)) return nullptr;
  Py_RETURN_NONE;
}

// access_stats() -> {"access_events": n}: for benchmarks and tests.
PyObject* AccessStats(PyObject* /*module*/, PyObject* /*unused*/) {
  return Py_BuildValue("{s:K}", "access_events",
                       static_cast<unsigned long long>(AccessRegistry::Get().access_events()));
}

PyMethodDef g_functions[] = {
    {"access_hooks", AccessHooks, METH_VARARGS,
     "access_hooks(names, module, filename, sites): the access hooks of one rewritten module."},
    {"access_hook", AccessHook, METH_VARARGS,
     "access_hook(name[, module, filename, sites]): one access hook, as a pickled one is rebuilt."},
    {"access_stats", AccessStats, METH_NOARGS, "access_stats(): counters of the access hooks."},
    {"bind_code", BindCode, METH_VARARGS,
     "bind_code(code, {placeholder: hook}): a rewritten module's hooks into its code's constants."},
    {nullptr, nullptr, 0, nullptr},
};

PyMemberDef g_hook_members[] = {
    {const_cast<char*>("__vectorcalloffset__"), T_PYSSIZET, offsetof(HookObject, vectorcall), READONLY,
     nullptr},
    {nullptr, 0, 0, 0, nullptr},
};
PyMethodDef g_hook_methods[] = {
    {"__reduce__", HookReduce, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr},
};
PyMethodDef g_probe_methods[] = {
    {"__reduce__", ProbeReduce, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr},
};
PyType_Slot g_hook_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(HookDealloc)},
    {Py_tp_methods, g_hook_methods},
    {Py_tp_call, reinterpret_cast<void*>(PyVectorcall_Call)},
    {Py_tp_members, g_hook_members},
    {Py_tp_doc, const_cast<char*>("One access hook of a rewritten module (see access_hooks).")},
    {0, nullptr},
};
PyType_Spec g_hook_spec = {"_pyrace.AccessHook", sizeof(HookObject), 0,
                           Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_DISALLOW_INSTANTIATION,
                           g_hook_slots};

PyType_Slot g_aug_target_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(AugTargetDealloc)},
    {Py_mp_subscript, reinterpret_cast<void*>(AugTargetGet)},
    {Py_mp_ass_subscript, reinterpret_cast<void*>(AugTargetSet)},
    {Py_tp_doc, const_cast<char*>("The target of one augmented assignment pyrace watches.")},
    {0, nullptr},
};
PyType_Spec g_aug_target_spec = {"_pyrace.AugTarget", sizeof(AugTarget), 0,
                                 Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION, g_aug_target_slots};

PyType_Slot g_probe_slots[] = {
    {Py_sq_contains, reinterpret_cast<void*>(ProbeContains)},
    {Py_tp_methods, g_probe_methods},
    {Py_tp_doc, const_cast<char*>("`st in st`: whether rewritten code may skip its hooks (one thread).")},
    {0, nullptr},
};
PyType_Spec g_probe_spec = {"_pyrace.SingleThreadProbe", sizeof(PyObject), 0, Py_TPFLAGS_DEFAULT,
                            g_probe_slots};

PyMethodDef g_site_probe_methods[] = {
    {"__reduce__", SiteProbeReduce, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr},
};
PyType_Slot g_site_probe_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(HookDealloc)},
    {Py_sq_contains, reinterpret_cast<void*>(SiteProbeContains)},
    {Py_mp_subscript, reinterpret_cast<void*>(SiteProbeSubscript)},
    {Py_tp_methods, g_site_probe_methods},
    {Py_tp_doc, const_cast<char*>("A hook bound to one site, reached through a slot (`obj in probe`, `probe[...]`).")},
    {0, nullptr},
};
PyType_Spec g_site_probe_spec = {"_pyrace.SiteProbe", sizeof(SiteProbe), 0,
                                 Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION, g_site_probe_slots};

PyType_Slot g_container_probe_slots[] = {
    {Py_sq_contains, reinterpret_cast<void*>(ContainerProbeContains)},
    {Py_tp_methods, g_probe_methods},
    {Py_tp_doc, const_cast<char*>("`obj in cp`: whether rewritten code must tell pyrace of obj's shape.")},
    {0, nullptr},
};
PyType_Spec g_container_probe_spec = {"_pyrace.ContainerProbe", sizeof(PyObject), 0, Py_TPFLAGS_DEFAULT,
                                      g_container_probe_slots};

// A probe's type and its one instance, kept for the process.
bool MakeProbe(PyType_Spec* spec, PyTypeObject** type, PyObject** probe) {
  *type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(spec));
  if (*type == nullptr) return false;
  *probe = PyType_GenericAlloc(*type, 0);
  return *probe != nullptr;
}

bool ReadyTypes() {
  g_hook_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&g_hook_spec));
  if (g_hook_type == nullptr) return false;
  g_site_probe_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&g_site_probe_spec));
  if (g_site_probe_type == nullptr) return false;
  if (!MakeProbe(&g_probe_spec, &g_probe_type, &g_probe)) return false;
  if (!MakeProbe(&g_container_probe_spec, &g_container_probe_type, &g_container_probe)) return false;
  g_aug_target_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&g_aug_target_spec));
  return g_aug_target_type != nullptr;
}

}  // namespace
}  // namespace pyrace::py

namespace pyrace::py {
namespace {

bool g_races = false;

}  // namespace

bool HoldsAccessHooks(PyObject* code) {
  return g_hook_type != nullptr && PyCode_Check(code) && HoldsHooks(reinterpret_cast<PyCodeObject*>(code), 0);
}

}  // namespace pyrace::py

int pyrace_access_init(PyObject* module, pyrace::py::Recorder* rec) {
  using namespace pyrace::py;
  g_rec = rec;
  g_races = RacesEnabled(rec->options());
  // Only race mode's hooks look for deques (lock-only mode imports nothing extra).
  if (g_races && g_deque_type == nullptr) {
    PyObject* collections = PyImport_ImportModule("_collections");
    PyObject* deque = collections != nullptr ? PyObject_GetAttrString(collections, "deque") : nullptr;
    Py_XDECREF(collections);
    if (deque == nullptr) return -1;
    if (PyType_Check(deque)) g_deque_type = reinterpret_cast<PyTypeObject*>(deque);  // kept
    else Py_DECREF(deque);
  }
  if (g_hook_type == nullptr && !ReadyTypes()) return -1;
  g_hooks_single_thread = rec->options().hooks_single_thread;
  if (!AccessRegistry::Get().Init(rec, /*watch_deallocs=*/g_races)) return -1;
  if (PyModule_AddFunctions(module, g_functions) < 0) return -1;
  Py_XSETREF(g_access_hook_fn, PyObject_GetAttrString(module, "access_hook"));
  if (g_access_hook_fn == nullptr) return -1;
  if (g_thread_local_type == nullptr) {
    PyObject* thread = PyImport_ImportModule("_thread");
    PyObject* local = thread != nullptr ? PyObject_GetAttrString(thread, "_local") : nullptr;
    Py_XDECREF(thread);
    if (local == nullptr) return -1;
    if (PyType_Check(local)) g_thread_local_type = reinterpret_cast<PyTypeObject*>(local);  // kept
    else Py_DECREF(local);
  }
  if (g_races && !InstallFdHandoffs(Originals())) return -1;
  if (g_races && !InstallImportHook(rec->options())) return -1;
  if (g_races && !InstallCodeExport()) return -1;
  return 0;
}

PyObject* pyrace_access_compile_main(PyObject* source, PyObject* path) {
  using namespace pyrace::py;
  if (!g_races) return nullptr;
  return CompileRewritten(source, path);
}

void pyrace_access_tasks_interleave() { pyrace::py::g_threads_seen = true; }
