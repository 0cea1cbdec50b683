#include "runtime/python/lock_names.h"

#include "runtime/python/frame_walk.h"

#include <opcode.h>

#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "runtime/model/machinery.h"
#include "runtime/python/lock_types.h"
#include "runtime/python/recorder.h"
#include "runtime/python/utf8.h"
#include "runtime/trace/trace.h"

namespace pyrace::py {

namespace {

// Locks that have a name: a lock is named once, by its first store.
std::unordered_set<LockId>& Named() {
  static auto* named = new std::unordered_set<LockId>();
  return *named;
}

}  // namespace

void NameStoredLock(PyObject* value, std::string_view owner, PyObject* attr) {
  Recorder& rec = Recorder::Get();
  if (!rec.recording() || !IsWrappedLock(value) || owner.empty()) return;
  LockObject* l = reinterpret_cast<LockObject*>(value);
  std::string name = Utf8(attr);
  // A sentinel (NewSentinel) has no id: nothing records it.
  if (l->id == 0 || name.empty() || !Named().insert(l->id).second) return;
  rec.writer()->DefineLockName(l->id, rec.InternString(std::string(owner) + "." + name));
}

#if PY_VERSION_HEX >= 0x030B0000

namespace {

// What one frame does with the value its current call returns; the name of a kNamed
// site is interned when the site is decoded, not per lock created there.
struct Site {
  enum Kind : uint8_t { kNone, kPassedUp, kNamed } kind = kNone;
  StrId name = 0;
};

struct SiteKey {
  PyCodeObject* code;
  int lasti;
  bool operator==(const SiteKey& o) const { return code == o.code && lasti == o.lasti; }
};
struct SiteKeyHash {
  size_t operator()(const SiteKey& k) const {
    return std::hash<const void*>()(k.code) ^ (static_cast<size_t>(k.lasti) * 0x9E3779B97F4A7C15ull);
  }
};

// A frame's site never changes for a given instruction, and a program creates its
// locks from a few places (often many times: a Condition per Future), so each
// (code, offset) is decoded once. Code objects here are kept alive so their
// addresses are never another code's.
std::unordered_map<SiteKey, Site, SiteKeyHash>& Sites() {
  static auto* sites = new std::unordered_map<SiteKey, Site, SiteKeyHash>();
  return *sites;
}

// Deoptimized bytecode (PyCode_GetCode): base opcodes, CACHE entries as opcode 0.
class Insns {
 public:
  explicit Insns(PyObject* bytes)
      : b_(reinterpret_cast<const uint8_t*>(PyBytes_AS_STRING(bytes))),
        n_(static_cast<int>(PyBytes_GET_SIZE(bytes) / 2)) {}
  int size() const { return n_; }
  int op(int i) const { return i >= 0 && i < n_ ? b_[2 * i] : -1; }
  // The instruction at i with its EXTENDED_ARG prefixes already read (i is past them).
  int arg(int i) const {
    int a = b_[2 * i + 1];
    for (int j = i - 1, shift = 8; j >= 0 && b_[2 * j] == EXTENDED_ARG && shift <= 24; --j, shift += 8) {
      a |= b_[2 * j + 1] << shift;
    }
    return a;
  }
  // The next real instruction after the one at i: past its inline caches and past
  // the EXTENDED_ARG prefixes of the next one.
  int Next(int i) const {
    ++i;
    while (i < n_ && b_[2 * i] == CACHE) ++i;
    while (i < n_ && b_[2 * i] == EXTENDED_ARG) ++i;
    return i;
  }

 private:
  const uint8_t* b_;
  int n_;
};

std::string TupleStr(PyObject* tuple, int i) {
  if (tuple == nullptr || !PyTuple_Check(tuple) || i < 0 || i >= PyTuple_GET_SIZE(tuple)) return {};
  return Utf8(PyTuple_GET_ITEM(tuple, i));
}

bool IsCall(int op) {
#ifdef PRECALL
  if (op == PRECALL) return true;
#endif
#ifdef CALL_KW
  if (op == CALL_KW) return true;
#endif
  return op == CALL || op == CALL_FUNCTION_EX;
}

bool IsLoadFast(int op) {
#ifdef LOAD_FAST_CHECK
  if (op == LOAD_FAST_CHECK) return true;
#endif
#ifdef LOAD_FAST_BORROW
  if (op == LOAD_FAST_BORROW) return true;  // 3.14: a load whose reference the frame keeps
#endif
  return op == LOAD_FAST;
}

// The module a frame's code runs in, as the program imports it: the globals'
// __name__, and for the main script (or `-m`) the file's own stem.
std::string ModuleName(RawFrame f, PyCodeObject* code) {
  std::string name;
  if (f->f_globals != nullptr && PyDict_Check(f->f_globals)) {
    name = Utf8(PyDict_GetItemString(f->f_globals, "__name__"));
  }
  if (name.empty() || name == "__main__") {
    std::string file = Utf8(code->co_filename);
    size_t slash = file.find_last_of('/');
    std::string base = slash == std::string::npos ? file : file.substr(slash + 1);
    if (base.size() > 3 && base.ends_with(".py")) return base.substr(0, base.size() - 3);
    return name.empty() ? std::string("__main__") : name;
  }
  return name;
}

// "PooledDatabase" for PooledDatabase.__init__; empty for a plain function.
std::string ClassOf(const std::string& qualname) {
  size_t dot = qualname.find_last_of('.');
  if (dot == std::string::npos) return {};
  std::string owner = qualname.substr(0, dot);
  if (owner.ends_with("<locals>")) return {};
  return owner;
}

Site Decode(Recorder& rec, RawFrame f, PyCodeObject* code, int lasti) {
  Site site;
  std::string name;
  if (IsSyncMachinery(Utf8(code->co_filename))) {
    site.kind = Site::kPassedUp;
    return site;
  }
  PyObject* bytes = PyCode_GetCode(code);
  if (bytes == nullptr) {
    PyErr_Clear();
    return site;
  }
  Insns in(bytes);
  // A caller's offset is the call's or, when the callee is Python code, that of the
  // call's last inline cache entry (where the interpreter resumes).
  int call = lasti / 2;
  while (call > 0 && in.op(call) == CACHE) --call;
  if (lasti < 0 || !IsCall(in.op(call))) {
    Py_DECREF(bytes);
    return site;
  }
  int i = in.Next(call);
#ifdef PRECALL
  if (in.op(call) == PRECALL && in.op(i) == CALL) i = in.Next(i);
#endif
  int op = in.op(i);
  std::string qualname = Utf8(CodeQualName(code));
  PyObject* names = code->co_names;
  if (op == RETURN_VALUE) {
    site.kind = Site::kPassedUp;
  } else if (op == STORE_GLOBAL) {
    name = ModuleName(f, code) + "." + TupleStr(names, in.arg(i));
  } else if (op == STORE_NAME) {
    // Module code stores its globals by name, a class body its class attributes.
    bool module = Utf8(code->co_name) == "<module>";
    name = (module ? ModuleName(f, code) : qualname) + "." + TupleStr(names, in.arg(i));
  } else if (in.op(in.Next(i)) == STORE_ATTR) {
    std::string attr = TupleStr(names, in.arg(in.Next(i)));
    std::string owner;
    if (IsLoadFast(op)) {
      int local = in.arg(i);
      std::string cls = ClassOf(qualname);
      // The method's first argument is the instance: the attribute is the class's.
      owner = local == 0 && code->co_argcount > 0 && !cls.empty() ? cls
                                                                  : TupleStr(code->co_localsplusnames, local);
    } else if (op == LOAD_GLOBAL) {
      owner = TupleStr(names, in.arg(i) >> 1);  // the low bit asks for a NULL push
    } else if (op == LOAD_NAME) {
      owner = TupleStr(names, in.arg(i));
    }
    if (!owner.empty() && !attr.empty()) name = owner + "." + attr;
  }
  if (!name.empty() && name.back() != '.' && name.front() != '.') {
    site.kind = Site::kNamed;
    site.name = rec.InternString(name);
  }
  Py_DECREF(bytes);
  return site;
}

// Frames followed outwards: machinery (Condition -> Semaphore -> Barrier is 3) and
// factory functions; a deeper chain names nothing.
constexpr int kMaxHops = 8;

}  // namespace

namespace {

StrId StoreName(Recorder& rec) {
  int hops = 0;
  for (RawFrame f = TopRawFrame(); f != nullptr && hops < kMaxHops; f = RawBack(f), ++hops) {
    PyCodeObject* code = RawCode(f);
    SiteKey key{code, RawLasti(f)};
    auto it = Sites().find(key);
    if (it == Sites().end()) {
      Py_INCREF(code);
      it = Sites().emplace(key, Decode(rec, f, code, key.lasti)).first;
    }
    if (it->second.kind == Site::kPassedUp) continue;
    return it->second.name;
  }
  return 0;
}

}  // namespace

#else

namespace {
StrId StoreName(Recorder&) { return 0; }
}  // namespace

#endif

void NameNewLock(Recorder& rec, LockId id) {
  StrId name = StoreName(rec);
  if (name == 0) return;
  Named().insert(id);
  rec.writer()->DefineLockName(id, name);
}

}  // namespace pyrace::py
