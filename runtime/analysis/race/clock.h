// Vector clocks and FastTrack epochs for the race detector. A thread's clock grows on
// demand (threads are dense ids), so a program with two threads pays for two entries.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "runtime/model/event.h"

namespace pyrace::race {

using Clock = uint32_t;

// One component of a vector clock: "thread tid at time clock". FastTrack keeps an
// epoch instead of a whole vector for the last write and for reads that are totally
// ordered, which is nearly every location.
struct Epoch {
  Tid tid = kNoTid;
  Clock clock = 0;
  bool valid() const { return tid != kNoTid; }
};

class VectorClock {
 public:
  Clock get(Tid t) const { return t < c_.size() ? c_[t] : 0; }
  void set(Tid t, Clock v) {
    if (t >= c_.size()) c_.resize(t + 1, 0);
    c_[t] = v;
  }
  void tick(Tid t) { set(t, get(t) + 1); }
  void join(const VectorClock& o) {
    if (o.c_.size() > c_.size()) c_.resize(o.c_.size(), 0);
    for (size_t i = 0; i < o.c_.size(); ++i) c_[i] = std::max(c_[i], o.c_[i]);
  }
  // e happened before (or is) the point this clock describes.
  bool covers(const Epoch& e) const { return e.clock <= get(e.tid); }
  bool empty() const { return c_.empty(); }

 private:
  std::vector<Clock> c_;
};

}  // namespace pyrace::race
