// Interned lock sets: each distinct set of held locks gets a small id, so a shadow cell
// stores the locks held at an access in 4 bytes and set operations are memoized.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <utility>
#include <vector>

#include "runtime/model/event.h"

namespace pyrace::race {

using LocksetId = uint32_t;
inline constexpr LocksetId kEmptyLockset = 0;

class LocksetTable {
 public:
  LocksetTable();

  LocksetId With(LocksetId set, LockId lock);
  LocksetId Without(LocksetId set, LockId lock);
  LocksetId Intersect(LocksetId a, LocksetId b);
  std::span<const LockId> Locks(LocksetId id) const { return sets_[id]; }

 private:
  LocksetId Intern(std::vector<LockId> sorted);

  std::vector<std::vector<LockId>> sets_;
  std::map<std::vector<LockId>, LocksetId> ids_;
  // Memoized transitions: programs take the same few locks over and over.
  std::map<std::pair<LocksetId, LockId>, LocksetId> with_, without_;
  std::map<std::pair<LocksetId, LocksetId>, LocksetId> meet_;
};

}  // namespace pyrace::race
