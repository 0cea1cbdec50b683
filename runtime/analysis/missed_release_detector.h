// missed-release: a lock still held when the function activation that acquired it
// ended (kLockHeldAtFrameEnd from the recorder), unless the lock is released later by
// anyone — then it was handed over on purpose (acquire in __enter__, release in
// __exit__; a lock passed to a worker that releases it). Whatever is still pending at
// the end of the stream is reported, deduplicated by (acquire site, end site).
//
// A lock still held at the end whose holder thread has exited, and whose hold had no
// (usable) frame-end event, is reported as "thread ended holding it": producers
// without frame-end events, locks acquired through a Python-level lock API
// (threading's _RLock, Condition.__enter__), locks destroyed while held.
#pragma once

#include <vector>

#include "runtime/analysis/detector.h"

namespace pyrace {

class MissedReleaseDetector : public Detector {
 public:
  uint64_t InterestMask() const override {
    return EventBit(EventKind::kLockHeldAtFrameEnd) | EventBit(EventKind::kLockRelease);
  }
  void OnEvent(const Event& e, const AnalysisContext& ctx) override;
  void Finish(const AnalysisContext& ctx, FindingSink& sink) override;

 private:
  struct Candidate {
    Tid tid = 0;
    LockId lock = 0;
    StackId acquire_stack = kNoStack;
    StackId end_stack = kNoStack;
    bool raised = false;
    bool pending = false;  // a frame-end event, and no release since
    uint64_t acquire_seq = 0;
    uint64_t seq = 0;
  };

  void OnFrameEnd(const Event& e, const AnalysisContext& ctx);
  void OnRelease(const Event& e, const AnalysisContext& ctx);
  void ReportFrameEnd(const Candidate& c, const Symbols& syms, FindingSink& sink) const;
  static Section EndSection(const Symbols& syms, const Candidate& c, std::string title);
  void ReportThreadEnded(LockId l, const LockState& state, const Symbols& syms,
                         FindingSink& sink) const;
  bool Covered(LockId l, uint64_t acquire_seq) const;

  // By LockId. A lock has at most one pending candidate: a new hold needs a release
  // first, and the release ends the candidate. Memory stays O(locks), not O(events).
  std::vector<Candidate> candidates_;
};

}  // namespace pyrace
