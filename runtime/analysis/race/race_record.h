// One deduplicated race as the detector keeps it until Finish turns it into a Finding
// (race_report.cpp): the two accesses, the check that preceded a check-then-act write,
// and the lock that guards the location's other accesses.
#pragma once

#include <string>
#include <vector>

#include "runtime/analysis/race/lockset.h"
#include "runtime/analysis/race/shadow.h"
#include "runtime/model/finding.h"
#include "runtime/model/symbols.h"

namespace pyrace::race {

enum class RaceClass : uint8_t {
  kLostUpdate,        // two writes, one a read-modify-write (x += 1)
  kCheckThenAct,      // a write after the same thread read the location (if k not in d: d[k] = v)
  kPublication,       // a plain write and a read
  kConflictingWrites, // two plain writes
  kSizeChange,        // a read of a container's shape (for x in d, len(d)) and a write of it
};

struct RaceRecord {
  LocId loc = 0;
  StrId description = 0;
  RaceClass cls = RaceClass::kPublication;
  // The two accesses, not ordered with each other. Which is current (the report's
  // primary location) is decided by the pair, never by which ran second.
  Access current;
  Access previous;
  Access check;     // check-then-act: the read before the write (invalid otherwise)
  LocksetId guard = kGuardUnset;
  uint64_t seen = 0;  // event position where the race was first seen, to order reports
  uint32_t count = 1;
  bool absorbed = false;  // a check-then-act report tells this one's story already
};

// cache['a'] and cache['b'] are one location class: their races are one bug.
std::string LocationClass(std::string_view description);

Finding BuildRaceFinding(const RaceRecord& r, const LocksetTable& locksets,
                         const Symbols& syms);
std::string ShadowEvictionNote(uint64_t evicted, size_t capacity);

}  // namespace pyrace::race
