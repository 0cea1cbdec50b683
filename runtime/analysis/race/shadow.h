// Shadow memory: per shared location, the last write and the reads not yet ordered
// before it (FastTrack), with what a report needs about each access (stack, locks held).
// Bounded: past `capacity` locations the least recently used ones are forgotten (CLOCK
// second-chance), which can only hide races, never invent them; the count is reported.
#pragma once

#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "runtime/analysis/vector_clock.h"
#include "runtime/analysis/race/lockset.h"
#include "runtime/model/event.h"

namespace pyrace::race {

struct Access {
  Tid tid = kNoTid;
  Clock clock = 0;
  StackId stack = kNoStack;
  LocksetId locks = kEmptyLockset;
  uint8_t flags = 0;  // kFlagWrite / kFlagReadModifyWrite, as recorded
  uint64_t seq = 0;   // position in the event stream, to order reports

  bool valid() const { return tid != kNoTid; }
  Epoch epoch() const { return {tid, clock}; }
};

// "No lock has been held at any access yet" vs kEmptyLockset = "the locked accesses
// share no lock".
inline constexpr LocksetId kGuardUnset = UINT32_MAX;

struct Cell {
  Access write;
  Access write_check;  // the writer's own read just before that write: it acted on a check
  // The thread whose store the last write replaced without being ordered after it (a
  // conflict of the two writes, reported as such): what that thread reads next is which
  // of the two stores won, the same race seen from its read.
  Tid overwritten = kNoTid;
  // Reads since the last write that are not ordered with each other, and the commuting
  // updates (kFlagCommutes writes) not ordered with a commuting last write.
  std::vector<Access> reads;
  // Per thread, its last read not yet followed by its own write: the "check" of a
  // check-then-act, kept across other threads' writes (which clear `reads`).
  std::vector<Access> checks;
  // Intersection of the non-empty lock sets held at this location's accesses: the lock
  // that would fix a race when some accesses forgot it.
  LocksetId guard = kGuardUnset;
  bool referenced = true;
};

class ShadowMemory {
 public:
  explicit ShadowMemory(size_t capacity) : capacity_(capacity) {}

  // The cell of loc, created empty on first use. object is the owning object's id.
  Cell& Get(LocId loc, uint64_t object);
  // CPython reuses an object's address once it is freed: forget its locations.
  void FreeObject(uint64_t object);

  size_t size() const { return cells_.size(); }
  uint64_t evicted() const { return evicted_; }

 private:
  void EvictOne(LocId keep);

  size_t capacity_;
  uint64_t evicted_ = 0;
  std::unordered_map<LocId, Cell> cells_;
  std::unordered_map<uint64_t, std::vector<LocId>> by_object_;
  std::deque<LocId> clock_hand_;  // insertion order, for second-chance eviction
};

}  // namespace pyrace::race
