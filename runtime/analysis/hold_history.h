// Who held which lock when, for the HTML report's per-thread timeline and the JSON
// report's "holds": the Analyzer feeds it every lock event (only under
// AnalysisOptions::hold_timeline, as text and SARIF never show it) and detectors attach
// the holds of a finding's locks to it.
//
// Bounded: per lock the first kFirstHolds holds and the last kLastHolds (a cycle's
// acquisitions are usually among the first, a hang's among the last), plus the open
// one; no more than kMaxStoredHolds in all, after which closed holds of further locks
// are dropped. Signal locks (lock_state.h) are no holds: nobody holds a semaphore's
// token in the sense a timeline shows.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "runtime/analysis/lock_state.h"
#include "runtime/model/event.h"
#include "runtime/model/finding.h"
#include "runtime/model/symbols.h"

namespace pyrace {

struct HoldInterval {
  Tid tid = kNoTid;
  LockId lock = 0;
  StackId stack = kNoStack;  // the acquire
  uint64_t begin_us = 0;
  uint64_t end_us = 0;
  bool open = false;  // not released yet: end_us is the time of the last event seen
  // The events' places in the trace: the clock may be too coarse (a few milliseconds)
  // to tell holds apart, their order always does.
  uint64_t begin_seq = 0;
  uint64_t end_seq = 0;
};

class HoldHistory {
 public:
  static constexpr size_t kFirstHolds = 16;
  static constexpr size_t kLastHolds = 16;
  static constexpr size_t kMaxStoredHolds = size_t{1} << 20;

  // After the lock state applied e, the seq-th event: compares the lock's holder with
  // holder_before.
  void OnEvent(const Event& e, uint64_t seq, Tid holder_before, const LockState& state);

  // The kept holds of the given locks (the open ones included), by begin time.
  std::vector<HoldInterval> Of(std::span<const LockId> locks) const;

 private:
  struct PerLock {
    std::vector<HoldInterval> first;
    std::vector<HoldInterval> last;  // a ring once full; next_last is its oldest
    size_t next_last = 0;
    bool has_open = false;
    HoldInterval open;
  };
  void Begin(LockId l, Tid t, StackId stack, uint64_t now, uint64_t seq);
  void End(LockId l, uint64_t now, uint64_t seq);

  std::vector<PerLock> locks_;
  size_t stored_ = 0;
  uint64_t now_us_ = 0;
  uint64_t now_seq_ = 0;
};

// Sets f.holds to the kept holds of the finding's lock nodes (f.graph), labelled like
// the rest of the report; nothing when history is null (no timeline was asked for).
void AddLockHolds(const Symbols& syms, const HoldHistory* history, std::span<const LockId> locks, Finding& f);

}  // namespace pyrace
