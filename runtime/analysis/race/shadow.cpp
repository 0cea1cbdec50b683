#include "runtime/analysis/race/shadow.h"

namespace pyrace::race {

Cell& ShadowMemory::Get(LocId loc, uint64_t object) {
  auto [it, inserted] = cells_.try_emplace(loc);
  if (inserted) {
    by_object_[object].push_back(loc);
    clock_hand_.push_back(loc);
    while (cells_.size() > capacity_) EvictOne(loc);
  }
  it->second.referenced = true;
  return it->second;
}

void ShadowMemory::EvictOne(LocId keep) {
  // Entries of freed locations linger in the hand; skipping them keeps this amortized O(1).
  while (!clock_hand_.empty()) {
    LocId loc = clock_hand_.front();
    clock_hand_.pop_front();
    auto it = cells_.find(loc);
    if (it == cells_.end()) continue;
    if (loc == keep || it->second.referenced) {
      it->second.referenced = false;
      clock_hand_.push_back(loc);
      continue;
    }
    cells_.erase(it);
    ++evicted_;
    return;
  }
}

void ShadowMemory::FreeObject(uint64_t object) {
  auto it = by_object_.find(object);
  if (it == by_object_.end()) return;
  for (LocId loc : it->second) cells_.erase(loc);
  by_object_.erase(it);
  if (clock_hand_.size() > 2 * capacity_ + 64) {
    std::deque<LocId> live;
    for (LocId loc : clock_hand_) {
      if (cells_.count(loc)) live.push_back(loc);
    }
    clock_hand_.swap(live);
  }
}

}  // namespace pyrace::race
