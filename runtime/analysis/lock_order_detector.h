// lock-order-inversion: feeds the lock graph from blocking acquires and, at Finish,
// reports each cycle that could deadlock (see cycle_search.h) once per distinct set of
// acquire sites, with a count of the lock-instance cycles that share those sites.
//
// Not edges: non-blocking acquires (kFlagTry) — the try-lock back-off idiom cannot
// block — failed acquires (they never held anything), and RLock re-entry. Acquires
// with a timeout are edges; the report says "(with timeout)" and lowers the severity.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/analysis/cycle_search.h"
#include "runtime/analysis/detector.h"
#include "runtime/analysis/lock_graph.h"

namespace pyrace {

// Where a cycle's edges were taken: in one process, or (the cross-process merge,
// lock_class/merge.h) in several, which the message says.
enum class CycleScope : uint8_t { kOneProcess, kAcrossProcesses };

// The report of one cycle found by FindDeadlockCycles, and its dedup key (the set of
// acquire-site pairs), for the in-process detector and the cross-process merge alike.
// holds (may be null) adds the cycle's locks' hold timeline.
Finding LockCycleFinding(const Symbols& syms, const LockGraph& g, const LockCycle& cycle,
                         const HoldHistory* holds = nullptr, CycleScope scope = CycleScope::kOneProcess);
std::string LockCycleKey(const Symbols& syms, const LockGraph& g, const LockCycle& cycle);

class LockOrderDetector : public Detector {
 public:
  explicit LockOrderDetector(const AnalysisOptions& opts) : graph_(opts.lock_class_view) {}

  uint64_t InterestMask() const override {
    return EventBit(EventKind::kLockCreate) | EventBit(EventKind::kLockAcquired);
  }
  void OnEvent(const Event& e, const AnalysisContext& ctx) override;
  void Finish(const AnalysisContext& ctx, FindingSink& sink) override;

  const LockGraph& graph() const { return graph_; }

 private:
  LockGraph graph_;
};

}  // namespace pyrace
