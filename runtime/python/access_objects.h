// Shared-state locations of the running program, as the access hooks see them:
// (object, key) -> LocId, with the object's death turned into kObjectFree so the
// detector forgets its shadow state before CPython reuses the address.
//
// How a death is noticed, never by keeping the object alive:
//   - dict, list, set, bytearray (the most shared state), and the instances of every
//     class whose deallocation ends in object's or type's (all classes and metaclasses
//     written in Python, __slots__ or not): those tp_dealloc are wrapped once at start-up;
//   - other objects that take weak references: a weakref whose callback forgets them;
//   - anything else (an instance of a C type without weak references, or of a class
//     deriving from one) is not tracked: its accesses are not recorded.
//
// Everything here runs with the GIL held.
#pragma once

#include "runtime/python/py_compat.h"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/model/event.h"

namespace pyrace::py {

class Recorder;

// What the hooks remember per location to skip repeats: FastTrack's "same epoch"
// rule applied before anything is written. An access by the thread that made the last
// recorded one, no stronger than it, is not recorded
//   - when no synchronization event happened anywhere since (the same epoch), or
//   - when it is at the same site and nothing since could let another thread tell the
//     two apart: the thread's only events since were releases of wrapped locks it has
//     taken back itself before anyone else, it holds the same locks, and no other
//     event happened anywhere (Recorder::last_publish). Its epoch differs from the
//     recorded access's only in values of its clock that no other thread ever sees
//     (each lock's clock is overwritten by the next release before anyone else can
//     acquire it), so every later check against it comes out the same; a race of
//     its own would be one of the recorded access (same site, same locks, and the
//     thread knows at least as much now). The `with lock:` loop of a worker thread
//     records its accesses again only after another thread took the lock.
struct LocRecord {
  LocId id = 0;
  uint64_t mark = 0;     // Recorder::sync_serial() at the recorded access
  Tid tid = kNoTid;
  uint32_t held = 0;     // ThreadRec::held_signature of its thread then
  uint32_t site = 0;     // the access site's serial (0: none)
  uint8_t flags = 0;
};

// Key tags: one object has attributes, items and the whole-container location.
enum class KeyTag : uint8_t { kAttr = 1, kItem = 2, kWhole = 3 };

struct ObjRec {
  uint64_t id = 0;       // LocationInfo::object; kObjectFree names it
  PyObject* object = nullptr;  // borrowed: the key of the registry
  PyObject* weakref = nullptr; // owned, when its death is watched by a weak reference
  uint64_t sync = 0;           // its hand-off channel (a deque's), made on first use
  std::unordered_map<uint64_t, LocRecord> locs;
};

class AccessRegistry {
 public:
  static AccessRegistry& Get();

  // Installs the dealloc wrappers (only for race mode: lock-only mode records no
  // accesses, and every object's deallocation would pay for them). Returns false with
  // an exception set.
  bool Init(Recorder* rec, bool watch_deallocs);

  // The tracked record of obj, created (and its death watched) on first use.
  // Null when obj cannot be tracked (an exception is never left set).
  ObjRec* Track(PyObject* obj);
  // A location of a tracked object; describe() is called only for a new one.
  template <typename Describe>
  LocRecord& Location(ObjRec* rec, KeyTag tag, uint64_t key, Describe&& describe);
  // A location that lives as long as the process (module globals): "module.name".
  LocRecord* Global(const std::string& description);

  // Records one access (kAccess) unless it repeats the last one (see LocRecord).
  // site: the serial of the access site (0: none; only the same-epoch rule applies).
  void Record(LocRecord& loc, uint8_t flags, uint32_t site);

  // The object is going away: emit kObjectFree and drop its locations. key: the object,
  // or the weak reference watching it.
  void Forget(PyObject* key);
  // The same from a dealloc wrapper, for an object watched without a weak reference:
  // one lookup, since most objects freed were never tracked.
  void ForgetObject(PyObject* obj) {
    if (objects_.empty()) return;
    auto it = objects_.find(obj);
    if (it != objects_.end()) Drop(it);
  }

  uint64_t access_events() const { return access_events_; }
  // Changes whenever an object is forgotten: a LocRecord* kept outside the registry
  // is valid while this stays the same.
  uint64_t generation() const { return generation_; }

 private:
  AccessRegistry() = default;
  // unique: the description names one dict entry or list slot and will not repeat.
  LocId NewLocation(const std::string& description, uint64_t object, bool unique = false);
  bool WatchDeath(ObjRec* rec);
  void Drop(std::unordered_map<PyObject*, ObjRec*>::iterator it);
  void ReleasePending();

  Recorder* rec_ = nullptr;
  std::unordered_map<PyObject*, ObjRec*> objects_;
  std::unordered_map<PyObject*, PyObject*> by_weakref_;  // weakref -> object
  std::unordered_map<std::string, LocRecord*> globals_;
  // Direct-mapped cache in front of objects_: a loop touches a few objects over and over.
  static constexpr size_t kCacheSize = 32;
  struct CacheEntry {
    PyObject* obj = nullptr;
    ObjRec* rec = nullptr;
  };
  static size_t Slot(PyObject* o) { return (reinterpret_cast<uintptr_t>(o) >> 4) % kCacheSize; }
  CacheEntry cache_[kCacheSize];
  PyObject* weakref_callback_ = nullptr;
  uint64_t next_object_id_ = 1;  // 0 = "never freed" (globals)
  uint64_t access_events_ = 0;
  uint64_t generation_ = 1;
  std::vector<PyObject*> pending_release_;

  // The access's stack: the depot's frame walk and its cache (no cache of its own:
  // a cache keyed by frame addresses could hand out another activation's callers).
  StackId Stack();
};

template <typename Describe>
LocRecord& AccessRegistry::Location(ObjRec* rec, KeyTag tag, uint64_t key, Describe&& describe) {
  uint64_t k = key * 4 + static_cast<uint64_t>(tag);
  auto it = rec->locs.find(k);
  if (it != rec->locs.end()) return it->second;
  // describe() may run Python code (a key's repr) that frees objects: insert after it.
  std::string d = describe();
  LocId id = NewLocation(d, rec->id, tag == KeyTag::kItem);
  LocRecord& lr = rec->locs[k];
  lr.id = id;
  return lr;
}

}  // namespace pyrace::py
