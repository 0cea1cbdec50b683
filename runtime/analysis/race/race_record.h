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
};

struct RaceRecord {
  LocId loc = 0;
  StrId description = 0;
  RaceClass cls = RaceClass::kPublication;
  Access current;   // the later access: the report's primary location
  Access previous;  // the earlier access it is not ordered with
  Access check;     // check-then-act: the read before the write (invalid otherwise)
  LocksetId guard = kGuardUnset;
  uint32_t count = 1;
  bool absorbed = false;  // a check-then-act report tells this one's story already
};

// cache['a'] and cache['b'] are one location class: their races are one bug.
std::string LocationClass(std::string_view description);

Finding BuildRaceFinding(const RaceRecord& r, const LocksetTable& locksets,
                         const Symbols& syms);
std::string ShadowEvictionNote(uint64_t evicted, size_t capacity);

}  // namespace pyrace::race
