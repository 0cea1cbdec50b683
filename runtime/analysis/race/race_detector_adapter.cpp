// Plugs the race detector into the Analyzer (runtime/analysis/detector.h). It reads the
// Analyzer's lock state for who holds what and keeps its own happens-before clocks:
// lock state alone cannot say what a hand-off or join ordered.
#include <memory>

#include "runtime/analysis/detector.h"
#include "runtime/analysis/race/race_detector.h"

namespace pyrace {
namespace {

class RaceDetectorAdapter : public Detector {
 public:
  explicit RaceDetectorAdapter(const AnalysisOptions& opts) : det_(MakeOptions(opts)) {}

  uint64_t InterestMask() const override {
    return EventBit(EventKind::kThreadStart) | EventBit(EventKind::kThreadJoin) |
           EventBit(EventKind::kLockAcquired) | EventBit(EventKind::kLockRelease) |
           EventBit(EventKind::kLockTryFailed) |
           EventBit(EventKind::kHandoffSend) | EventBit(EventKind::kHandoffRecv) |
           EventBit(EventKind::kAccess) | EventBit(EventKind::kObjectFree);
  }

  void OnEvent(const Event& e, const AnalysisContext& ctx) override { det_.OnEvent(e, *ctx.syms, *ctx.locks); }

  void Finish(const AnalysisContext& ctx, FindingSink& sink) override {
    // Findings come deduplicated and ordered; their fingerprint text is the stable key.
    uint64_t order = 0;
    for (Finding& f : det_.Finish(*ctx.syms)) {
      std::string key = f.fingerprint;
      sink.Add(std::move(f), key, order++);
    }
  }

 private:
  static race::RaceOptions MakeOptions(const AnalysisOptions& opts) {
    race::RaceOptions o;
    o.max_findings = opts.max_findings;
    return o;
  }

  race::RaceDetector det_;
};

}  // namespace

std::unique_ptr<Detector> MakeRaceDetector(const AnalysisOptions& opts) {
  return std::make_unique<RaceDetectorAdapter>(opts);
}

}  // namespace pyrace
