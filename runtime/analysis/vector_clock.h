// Happens-before primitives shared by the detectors (FastTrack's epochs and vector
// clocks). Threads are dense Tids, so a clock is a plain vector indexed by Tid; a clock
// grows on demand and a missing entry reads as 0.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "runtime/model/event.h"

namespace pyrace {

using Clock = uint32_t;

// One thread's time: "thread tid at clock c". Packed so a shadow word stays 8 bytes.
struct Epoch {
  Tid tid = kNoTid;
  Clock clock = 0;

  bool valid() const { return tid != kNoTid; }
  bool operator==(const Epoch&) const = default;
};

class VectorClock {
 public:
  Clock Get(Tid t) const { return t < clocks_.size() ? clocks_[t] : 0; }

  void Set(Tid t, Clock c) {
    Grow(t);
    clocks_[t] = c;
  }

  // A thread ticks its own entry at every release-like event (release, start, send)
  // so later events of that thread are not ordered before what it published.
  Clock Tick(Tid t) {
    Grow(t);
    return ++clocks_[t];
  }

  // Pointwise max: what an acquire-like event (acquire, join, recv) learns.
  void Join(const VectorClock& other) {
    if (other.clocks_.size() > clocks_.size()) clocks_.resize(other.clocks_.size(), 0);
    for (size_t i = 0; i < other.clocks_.size(); ++i) {
      clocks_[i] = std::max(clocks_[i], other.clocks_[i]);
    }
  }

  // Release semantics for a sync object that keeps only the last releaser's view
  // (a lock's clock): copy, not join.
  void Assign(const VectorClock& other) { clocks_ = other.clocks_; }

  // e happened before (or is) the current point of the thread owning this clock.
  bool Covers(Epoch e) const { return e.valid() && e.clock <= Get(e.tid); }

  // Every entry of *this is <= the matching entry of other.
  bool LessOrEqual(const VectorClock& other) const {
    for (size_t i = 0; i < clocks_.size(); ++i) {
      if (clocks_[i] > other.Get(static_cast<Tid>(i))) return false;
    }
    return true;
  }

  Epoch EpochOf(Tid t) const { return Epoch{t, Get(t)}; }
  size_t size() const { return clocks_.size(); }
  void Clear() { clocks_.clear(); }

 private:
  void Grow(Tid t) {
    if (t >= clocks_.size()) clocks_.resize(static_cast<size_t>(t) + 1, 0);
  }

  std::vector<Clock> clocks_;
};

}  // namespace pyrace
