// Happens-before data-race detection (FastTrack) over the recorded event stream.
//
// Edges: lock release -> next acquire of that lock (every lock kind except the GIL,
// which is never an edge), thread start (parent -> child), join (child -> joiner),
// hand-off send -> receive (queue put -> get, Event.set -> wait, Future result...).
// Accesses (kAccess) are checked against the location's last write and its unordered
// reads; a pair not ordered by those edges, one of them a write, is a race.
//
// Who holds which lock comes from the shared LockState (lock_state.h), as it was just
// before the event; the detector keeps only its clocks (per thread, per lock, per
// hand-off channel) and its shadow memory.
//
// Feed events in stream order with OnEvent, then Finish for the findings: one per
// location (keys collapsed: cache[...]) and unordered pair of access sites, with a
// count; which access of the pair is the primary is decided by the pair, not by which
// ran second.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/analysis/lock_state.h"
#include "runtime/model/event.h"
#include "runtime/model/finding.h"
#include "runtime/model/symbols.h"

namespace pyrace::race {

struct RaceOptions {
  size_t shadow_capacity = 1u << 20;  // locations kept before the least recently used are evicted
  int max_findings = 1000;
};

struct RaceStats {
  uint64_t accesses = 0;
  uint64_t races = 0;          // racing pairs seen, before deduplication
  uint64_t evicted = 0;        // shadow locations forgotten to bound memory
  uint64_t live_locations = 0;
};

class RaceDetector {
 public:
  explicit RaceDetector(const RaceOptions& opts = {});
  ~RaceDetector();
  RaceDetector(const RaceDetector&) = delete;
  RaceDetector& operator=(const RaceDetector&) = delete;

  void OnEvent(const Event& e, const Symbols& syms, const LockState& locks_before);
  std::vector<Finding> Finish(const Symbols& syms);
  RaceStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pyrace::race
