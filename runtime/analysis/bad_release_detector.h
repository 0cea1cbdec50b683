// bad-release: a release the interpreter refused (kFlagError: an unlocked Lock, an
// RLock the thread does not own), and — the analysis' own check, for producers that
// do not flag errors — an RLock released by a thread other than its holder. A plain
// Lock released by another thread than the one that acquired it is a legitimate
// hand-off and is never reported. Deduplicated by release site.
#pragma once

#include "runtime/analysis/detector.h"

namespace pyrace {

class BadReleaseDetector : public Detector {
 public:
  uint64_t InterestMask() const override { return EventBit(EventKind::kLockRelease); }
  void OnEvent(const Event& e, const AnalysisContext& ctx) override;
  void Finish(const AnalysisContext& ctx, FindingSink& sink) override;

 private:
  Finding Build(const Event& e, const AnalysisContext& ctx, Tid owner) const;

  FindingSink reports_;  // built at the release, against the lock state of that moment
};

}  // namespace pyrace
