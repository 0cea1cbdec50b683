#include "runtime/python/access_objects.h"

#include <vector>

#include "runtime/python/recorder.h"
#include "runtime/trace/trace.h"

namespace pyrace::py {
namespace {

constexpr size_t kMaxPinned = 4096;

// The wrapped deallocators: one per type, so each knows the original it calls (a
// subclass's dealloc reaches its builtin base's through the same slot).
enum DeallocSlot { kDict, kList, kSet, kByteArray, kCell, kSlotCount };
destructor g_original_dealloc[kSlotCount] = {};

template <int Slot>
void DeallocHook(PyObject* op) {
  AccessRegistry& reg = AccessRegistry::Get();
  if (reg.tracking(op)) reg.Forget(op);
  g_original_dealloc[Slot](op);
}

template <int Slot>
void WrapDealloc(PyTypeObject* type) {
  if (g_original_dealloc[Slot] != nullptr) return;
  g_original_dealloc[Slot] = type->tp_dealloc;
  type->tp_dealloc = &DeallocHook<Slot>;
}

PyObject* WeakrefDied(PyObject* /*self*/, PyObject* weakref) {
  AccessRegistry::Get().Forget(weakref);  // by weakref: see Forget
  Py_RETURN_NONE;
}

PyMethodDef g_weakref_callback_def = {"_pyrace_access_died", WeakrefDied, METH_O, nullptr};

// Exactly the types whose dealloc is wrapped, and their subclasses (frozenset is not).
// Closure cells are the locations of watched closure variables (access_hooks.cpp).
bool HasDeallocHook(PyObject* obj) {
  return PyDict_Check(obj) || PyList_Check(obj) || PySet_Check(obj) || PyByteArray_Check(obj) ||
         PyCell_Check(obj);
}

}  // namespace

AccessRegistry& AccessRegistry::Get() {
  // Never destroyed: deallocations run until the very end of the process.
  static AccessRegistry* reg = new AccessRegistry();
  return *reg;
}

bool AccessRegistry::Init(Recorder* rec) {
  rec_ = rec;
  if (weakref_callback_ == nullptr) {
    weakref_callback_ = PyCFunction_New(&g_weakref_callback_def, nullptr);
    if (weakref_callback_ == nullptr) return false;
  }
  WrapDealloc<kDict>(&PyDict_Type);
  WrapDealloc<kList>(&PyList_Type);
  WrapDealloc<kSet>(&PySet_Type);
  WrapDealloc<kByteArray>(&PyByteArray_Type);
  WrapDealloc<kCell>(&PyCell_Type);
  pinned_.assign(kMaxPinned, nullptr);
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
  if (HasDeallocHook(obj)) return true;
  if (PyType_SUPPORTS_WEAKREFS(Py_TYPE(obj))) {
    PyObject* wr = PyWeakref_NewRef(obj, weakref_callback_);
    if (wr != nullptr) {
      rec->weakref = wr;
      by_weakref_.emplace(wr, obj);
      return true;
    }
    PyErr_Clear();  // some types say they do and refuse (e.g. a type's __weakref__ slot is None)
  }
  Pin(rec);
  return true;
}

void AccessRegistry::Pin(ObjRec* rec) {
  PyObject* old = pinned_[pin_next_];
  Py_INCREF(rec->object);
  rec->strong = true;
  pinned_[pin_next_] = rec->object;
  pin_next_ = (pin_next_ + 1) % pinned_.size();
  if (old != nullptr) Forget(old);  // releases the reference it held
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
  if (it == objects_.end()) return;
  ObjRec* rec = it->second;
  objects_.erase(it);
  ++generation_;
  CacheEntry& slot = cache_[Slot(obj)];
  if (slot.obj == obj) slot = CacheEntry{};
  if (rec_ != nullptr && rec_->recording() && !IsFinalizing()) {
    rec_->Emit(EventKind::kObjectFree, rec->id);
  }
  PyObject* weakref = rec->weakref;
  bool strong = rec->strong;
  delete rec;
  if (weakref != nullptr) {
    by_weakref_.erase(weakref);
    // Not now: this may be the weakref's own callback, which its caller still uses.
    pending_release_.push_back(weakref);
  }
  // Last: releasing may run deallocations that come back here.
  if (strong) Py_DECREF(obj);
}

void AccessRegistry::ReleasePending() {
  while (!pending_release_.empty()) {
    PyObject* o = pending_release_.back();
    pending_release_.pop_back();
    Py_DECREF(o);
  }
}

StackId AccessRegistry::Stack() { return rec_->CaptureStack(); }

void AccessRegistry::Record(LocRecord& loc, uint8_t flags) {
  Recorder& rec = *rec_;
  if (!rec.recording()) return;
  Tid tid = rec.CurrentTid();
  // Events other than accesses written so far: unchanged means no lock, thread or
  // hand-off event happened anywhere since, so this thread's epoch is the same.
  uint64_t mark = rec.writer()->events_written() - access_events_;
  // A commuting update (kFlagCommutes) is weaker than a plain write: a plain write
  // after it is news.
  bool weaker = (loc.flags & flags) == flags && ((flags & kFlagCommutes) || !(loc.flags & kFlagCommutes));
  if (loc.tid == tid && loc.mark == mark && weaker) return;
  StackId stack = Stack();
  rec.Emit(EventKind::kAccess, loc.id, flags, 0, stack);
  ++access_events_;
  loc.tid = tid;
  loc.flags = flags;
  loc.mark = mark;
}

}  // namespace pyrace::py
