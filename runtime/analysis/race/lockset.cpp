#include "runtime/analysis/race/lockset.h"

#include <algorithm>
#include <iterator>

namespace pyrace::race {

LocksetTable::LocksetTable() { Intern({}); }

LocksetId LocksetTable::Intern(std::vector<LockId> sorted) {
  auto it = ids_.find(sorted);
  if (it != ids_.end()) return it->second;
  LocksetId id = static_cast<LocksetId>(sets_.size());
  sets_.push_back(sorted);
  ids_.emplace(std::move(sorted), id);
  return id;
}

LocksetId LocksetTable::With(LocksetId set, LockId lock) {
  auto key = std::make_pair(set, lock);
  if (auto it = with_.find(key); it != with_.end()) return it->second;
  std::vector<LockId> v = sets_[set];
  auto pos = std::lower_bound(v.begin(), v.end(), lock);
  if (pos == v.end() || *pos != lock) v.insert(pos, lock);
  LocksetId id = Intern(std::move(v));
  with_.emplace(key, id);
  return id;
}

LocksetId LocksetTable::Without(LocksetId set, LockId lock) {
  auto key = std::make_pair(set, lock);
  if (auto it = without_.find(key); it != without_.end()) return it->second;
  std::vector<LockId> v = sets_[set];
  v.erase(std::remove(v.begin(), v.end(), lock), v.end());
  LocksetId id = Intern(std::move(v));
  without_.emplace(key, id);
  return id;
}

LocksetId LocksetTable::Intersect(LocksetId a, LocksetId b) {
  if (a == b) return a;
  auto key = std::make_pair(std::min(a, b), std::max(a, b));
  if (auto it = meet_.find(key); it != meet_.end()) return it->second;
  std::vector<LockId> v;
  std::set_intersection(sets_[a].begin(), sets_[a].end(), sets_[b].begin(), sets_[b].end(),
                        std::back_inserter(v));
  LocksetId id = Intern(std::move(v));
  meet_.emplace(key, id);
  return id;
}

}  // namespace pyrace::race
