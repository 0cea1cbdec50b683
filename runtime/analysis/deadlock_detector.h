// deadlock: presents the hang the watchdog caught (the kDeadlockBegin..kDeadlockEnd
// group: one wait per stuck thread, every other thread's stack) as one finding. The
// watchdog decided (runtime/analysis/wait_for.*); this names the cycle or the reason
// from the waits and the lock state — who holds what, who has exited — and lays out
// every stuck thread (grouping threads stuck at the same place), the locks they hold,
// and the other threads' stacks.
#pragma once

#include <vector>

#include "runtime/analysis/detector.h"

namespace pyrace {

class DeadlockDetector : public Detector {
 public:
  uint64_t InterestMask() const override {
    return EventBit(EventKind::kDeadlockBegin) | EventBit(EventKind::kDeadlockWait) |
           EventBit(EventKind::kThreadStack) | EventBit(EventKind::kDeadlockEnd);
  }
  void OnEvent(const Event& e, const AnalysisContext& ctx) override;
  void Finish(const AnalysisContext& ctx, FindingSink& sink) override;

  struct Wait {
    Tid tid = 0;
    WaitKind kind = WaitKind::kLock;
    uint64_t obj = 0;
    StackId stack = kNoStack;
  };
  struct ThreadAt {
    Tid tid = 0;
    StackId stack = kNoStack;
  };
  struct Group {
    std::vector<Wait> waits;
    std::vector<ThreadAt> others;
    uint64_t seq = 0;
  };

 private:
  void Report(const AnalysisContext& ctx, FindingSink& sink);

  bool open_ = false;
  Group group_;
  FindingSink reports_;  // built at kDeadlockEnd, against the lock state of that moment
};

}  // namespace pyrace
