// gil-not-held: instrumented C extension code changed a reference count or called
// the C API while its thread did not hold the GIL (kGilNotHeld, recorded by the LLVM
// pass plugin's runtime hooks). One finding per C site and operation kind, counting
// repeats; the primary location is the C line.
#pragma once

#include "runtime/analysis/detector.h"

namespace pyrace {

class GilNotHeldDetector : public Detector {
 public:
  uint64_t InterestMask() const override { return EventBit(EventKind::kGilNotHeld); }
  void OnEvent(const Event& e, const AnalysisContext& ctx) override;
  void Finish(const AnalysisContext& ctx, FindingSink& sink) override;

 private:
  FindingSink reports_;
};

}  // namespace pyrace
