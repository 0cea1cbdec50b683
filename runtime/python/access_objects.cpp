#include "runtime/python/access_objects.h"

#include <vector>

#include "runtime/python/recorder.h"
#include "runtime/python/threads.h"
#include "runtime/trace/trace.h"

namespace pyrace::py {
namespace {

// The wrapped deallocators: one per type, so each knows the original it calls (a
// subclass's dealloc reaches its builtin base's through the same slot). `object`'s
// and `type`'s are the base deallocators of every class and metaclass written in
// Python, so their instances need no weak reference to be watched: a weak reference
// of pyrace's would show in weakref.getweakrefcount() and getweakrefs().
// Closure cells are the locations of watched closure variables (access_hooks.cpp).
enum DeallocSlot { kDict, kList, kSet, kByteArray, kCell, kObject, kType, kSlotCount };
destructor g_original_dealloc[kSlotCount] = {};
destructor g_subtype_dealloc = nullptr;  // what type() gives every class it creates

template <int Slot>
void DeallocHook(PyObject* op) {
  AccessRegistry::Get().ForgetObject(op);
  g_original_dealloc[Slot](op);
}

// The containers' deallocators bound the recursion of freeing nested containers with
// the trashcan, but only while they are their type's tp_dealloc (Py_TRASHCAN_BEGIN
// compares); in their place this one must, or freeing a list nested 10^6 deep
// overflows the C stack where the interpreter frees it in bounded depth.
template <int Slot>
void GcDeallocHook(PyObject* op) {
  PyObject_GC_UnTrack(op);  // the trashcan defers only untracked objects
  Py_TRASHCAN_BEGIN(op, GcDeallocHook<Slot>)
  AccessRegistry::Get().ForgetObject(op);
  g_original_dealloc[Slot](op);
  Py_TRASHCAN_END
}

template <int Slot>
void WrapDealloc(PyTypeObject* type, destructor hook) {
  if (g_original_dealloc[Slot] != nullptr) return;
  g_original_dealloc[Slot] = type->tp_dealloc;
  type->tp_dealloc = hook;
}

bool IsDeallocHook(destructor d) {
  return d == &GcDeallocHook<kDict> || d == &GcDeallocHook<kList> || d == &GcDeallocHook<kSet> ||
         d == &DeallocHook<kByteArray> || d == &DeallocHook<kCell> || d == &DeallocHook<kObject> ||
         d == &DeallocHook<kType>;
}

// Does freeing an instance of t pass through a wrapped deallocator? A class's own
// deallocator (subtype_dealloc) ends in the one of its nearest base that has another,
// exactly as this walk finds it.
bool HasDeallocHook(PyTypeObject* t) {
  while (t != nullptr && g_subtype_dealloc != nullptr && t->tp_dealloc == g_subtype_dealloc) {
    t = t->tp_base;
  }
  return t != nullptr && IsDeallocHook(t->tp_dealloc);
}

// subtype_dealloc is not exported: a class made by type() has it.
bool FindSubtypeDealloc() {
  PyObject* cls = PyObject_CallFunction(reinterpret_cast<PyObject*>(&PyType_Type), "s()N",
                                        "_pyrace_probe", PyDict_New());
  if (cls == nullptr) return false;
  g_subtype_dealloc = reinterpret_cast<PyTypeObject*>(cls)->tp_dealloc;
  Py_DECREF(cls);  // freed by the next collection: a class is a cycle through its __mro__
  return true;
}

PyObject* WeakrefDied(PyObject* /*self*/, PyObject* weakref) {
  AccessRegistry::Get().Forget(weakref);  // by weakref: see Forget
  Py_RETURN_NONE;
}

PyMethodDef g_weakref_callback_def = {"_pyrace_access_died", WeakrefDied, METH_O, nullptr};

}  // namespace

AccessRegistry& AccessRegistry::Get() {
  // Never destroyed: deallocations run until the very end of the process.
  static AccessRegistry* reg = new AccessRegistry();
  return *reg;
}

bool AccessRegistry::Init(Recorder* rec, bool watch_deallocs) {
  rec_ = rec;
  if (weakref_callback_ == nullptr) {
    weakref_callback_ = PyCFunction_New(&g_weakref_callback_def, nullptr);
    if (weakref_callback_ == nullptr) return false;
  }
  if (!watch_deallocs) return true;
  if (g_subtype_dealloc == nullptr && !FindSubtypeDealloc()) return false;
  WrapDealloc<kDict>(&PyDict_Type, &GcDeallocHook<kDict>);
  WrapDealloc<kList>(&PyList_Type, &GcDeallocHook<kList>);
  WrapDealloc<kSet>(&PySet_Type, &GcDeallocHook<kSet>);
  WrapDealloc<kByteArray>(&PyByteArray_Type, &DeallocHook<kByteArray>);
  WrapDealloc<kCell>(&PyCell_Type, &DeallocHook<kCell>);
  WrapDealloc<kObject>(&PyBaseObject_Type, &DeallocHook<kObject>);
  WrapDealloc<kType>(&PyType_Type, &DeallocHook<kType>);
  return true;
}

LocId AccessRegistry::NewLocation(const std::string& description, uint64_t object, bool unique) {
  StrId text = unique ? rec_->DefineString(description) : rec_->InternString(description);
  return rec_->DefineLocation({text, object});
}

LocRecord* AccessRegistry::Global(const std::string& description) {
  auto it = globals_.find(description);
  if (it != globals_.end()) return it->second;
  auto* lr = new LocRecord();  // lives for the process, like the module it names
  lr->id = NewLocation(description, 0);
  globals_.emplace(description, lr);
  return lr;
}

ObjRec* AccessRegistry::Track(PyObject* obj) {
  CacheEntry& slot = cache_[Slot(obj)];
  if (slot.obj == obj) return slot.rec;
  ReleasePending();
  auto it = objects_.find(obj);
  ObjRec* rec;
  if (it != objects_.end()) {
    rec = it->second;
  } else {
    rec = new ObjRec();
    rec->id = next_object_id_++;
    rec->object = obj;
    if (!WatchDeath(rec)) {
      delete rec;
      return nullptr;
    }
    objects_.emplace(obj, rec);
  }
  slot.obj = obj;
  slot.rec = rec;
  return rec;
}

bool AccessRegistry::WatchDeath(ObjRec* rec) {
  PyObject* obj = rec->object;
  if (HasDeallocHook(Py_TYPE(obj))) return true;
  if (PyType_SUPPORTS_WEAKREFS(Py_TYPE(obj))) {
    PyObject* wr = PyWeakref_NewRef(obj, weakref_callback_);
    if (wr != nullptr) {
      rec->weakref = wr;
      by_weakref_.emplace(wr, obj);
      return true;
    }
    PyErr_Clear();  // some types say they do and refuse (e.g. a type's __weakref__ slot is None)
  }
  // Nothing tells when it dies, and a reference of pyrace's would make it live longer
  // than the program lets it (an instance of a C type without weak references, or of a
  // class deriving from one: a tuple subclass with __slots__).
  return false;
}

void AccessRegistry::Forget(PyObject* key) {
  // A weakref callback passes the weakref, the dealloc wrappers and the FIFO the object.
  PyObject* obj = key;
  auto w = by_weakref_.find(key);
  if (w != by_weakref_.end()) {
    obj = w->second;
    by_weakref_.erase(w);
  }
  auto it = objects_.find(obj);
  if (it != objects_.end()) Drop(it);
}

void AccessRegistry::Drop(std::unordered_map<PyObject*, ObjRec*>::iterator it) {
  PyObject* obj = it->first;
  ObjRec* rec = it->second;
  objects_.erase(it);
  ++generation_;
  CacheEntry& slot = cache_[Slot(obj)];
  if (slot.obj == obj) slot = CacheEntry{};
  if (rec_ != nullptr && rec_->recording() && !IsFinalizing()) {
    rec_->Emit(EventKind::kObjectFree, rec->id);
  }
  PyObject* weakref = rec->weakref;
  delete rec;
  if (weakref != nullptr) {
    by_weakref_.erase(weakref);
    // Not now: this may be the weakref's own callback, which its caller still uses.
    pending_release_.push_back(weakref);
  }
}

void AccessRegistry::ReleasePending() {
  while (!pending_release_.empty()) {
    PyObject* o = pending_release_.back();
    pending_release_.pop_back();
    Py_DECREF(o);
  }
}

StackId AccessRegistry::Stack() { return rec_->CaptureStack(); }

void AccessRegistry::Record(LocRecord& loc, uint8_t flags, uint32_t site) {
  Recorder& rec = *rec_;
  if (!rec.recording()) return;
  ThreadRec* t = rec.threads().Current();
  Tid tid = t->tid;
  uint64_t serial = rec.sync_serial();
  // A commuting update (kFlagCommutes) is weaker than a plain write: a plain write
  // after it is news.
  bool weaker = (loc.flags & flags) == flags && ((flags & kFlagCommutes) || !(loc.flags & kFlagCommutes));
  if (loc.tid == tid && weaker) {
    if (loc.mark == serial) return;
    if (site != 0 && loc.site == site && rec.last_publish() <= loc.mark && t->unclaimed_max <= loc.mark) {
      const uint32_t held = t->held_signature;
      if (held != kManyHeld && loc.held == held) return;
    }
  }
  StackId stack = Stack();
  rec.Emit(EventKind::kAccess, loc.id, flags, 0, stack);
  ++access_events_;
  loc.tid = tid;
  loc.flags = flags;
  loc.mark = serial;
  loc.held = t->held_signature;
  loc.site = site;
}

}  // namespace pyrace::py
