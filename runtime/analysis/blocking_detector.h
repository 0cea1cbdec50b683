// blocking-in-event-loop: an asyncio callback or task step that kept its event loop
// from running for loop_block_ms or more. The runtime decided (runtime/analysis/
// loop_watch.h) and sampled the loop's thread while the step blocked (kLoopBlocked);
// kLoopStepEnd says how long the whole step took. A step still blocking when the
// stream ends (the run was killed, or the step never returns) is reported with the
// time it had blocked when sampled.
//
// The finding points at the innermost frame of the program's own code in the sample
// (the call that blocks), not into the standard library or a package it called.
#pragma once

#include <vector>

#include "runtime/analysis/detector.h"

namespace pyrace {

class BlockingDetector : public Detector {
 public:
  uint64_t InterestMask() const override {
    return EventBit(EventKind::kLoopBlocked) | EventBit(EventKind::kLoopStepEnd);
  }
  void OnEvent(const Event& e, const AnalysisContext& ctx) override;
  void Finish(const AnalysisContext& ctx, FindingSink& sink) override;

 private:
  struct Open {
    bool active = false;
    Tid task = kNoTid;
    StackId stack = kNoStack;
    uint64_t sampled_ms = 0;
    uint64_t seq = 0;
  };
  void Report(Tid loop_thread, const Open& o, uint64_t blocked_us, bool ended, const Symbols& syms);

  std::vector<Open> open_;  // by the loop's Tid
  FindingSink reports_;
};

}  // namespace pyrace
