// fork-with-held-lock: os.fork() (multiprocessing's fork start method included) while
// another thread holds a lock. The child is a copy of the parent's memory with only
// the forking thread in it: the lock stays locked there, and the thread that would
// have released it does not exist, so the child's first acquire of it waits forever.
//
// Decided at the kFork event from LockState (the holders as the trace tells them).
// Not findings: locks the forking thread holds itself (the child's only thread *is*
// that thread, continuing the same code, and releases them as the parent does),
// signal locks (a Condition's waiter: nobody acquires it again in the child), locks
// of the standard library's thread machinery and logging's locks (CPython and logging
// re-initialise those in the child: threading._after_fork, logging's at-fork hook).
#pragma once

#include "runtime/analysis/detector.h"

namespace pyrace {

class ForkDetector : public Detector {
 public:
  uint64_t InterestMask() const override { return EventBit(EventKind::kFork); }
  void OnEvent(const Event& e, const AnalysisContext& ctx) override;
  void Finish(const AnalysisContext& ctx, FindingSink& sink) override;

 private:
  FindingSink reports_;  // decided at the fork; handed over at Finish
};

}  // namespace pyrace
