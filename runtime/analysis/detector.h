// The interface every detector implements, and what the Analyzer hands it. A detector
// decides while events stream in (keeping only what it needs) and reports at Finish
// into a FindingSink, which deduplicates and orders the findings.
//
// Adding a detector: implement Detector, say which event kinds it wants
// (InterestMask), and construct it in analyzer.cpp. The race detector lives in
// runtime/analysis/race/ (library pyrace_race) and provides MakeRaceDetector
// (declared below) in race/race_detector_adapter.cpp; when that file exists CMake
// compiles it into pyrace_analysis and the Analyzer runs it (option races).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "runtime/analysis/analyzer.h"
#include "runtime/analysis/finding_sink.h"
#include "runtime/analysis/lock_state.h"
#include "runtime/model/event.h"
#include "runtime/model/symbols.h"

namespace pyrace {

class HoldHistory;

struct AnalysisContext {
  const Symbols* syms = nullptr;
  const LockState* locks = nullptr;  // the state just before the current event
  const AnalysisOptions* opts = nullptr;
  uint64_t seq = 0;  // index of the current event in the stream (0-based)
  // Analyzer::OnDeadlock's listener, or null: told of each new deadlock as it is decided.
  const std::function<void(const Finding&)>* on_deadlock = nullptr;
  // The lock holds so far (AnalysisOptions::hold_timeline), or null.
  const HoldHistory* holds = nullptr;
};

constexpr uint64_t EventBit(EventKind k) { return uint64_t{1} << static_cast<unsigned>(k); }

class Detector {
 public:
  virtual ~Detector() = default;
  // Bit set of EventBit(kind) for the events OnEvent must see; the driver skips the
  // call for the others.
  virtual uint64_t InterestMask() const = 0;
  virtual void OnEvent(const Event& e, const AnalysisContext& ctx) = 0;
  // End of the stream: report. ctx.locks is the final state; ctx.seq the event count.
  virtual void Finish(const AnalysisContext& ctx, FindingSink& sink) = 0;
};

// Provided by runtime/analysis/race/ (the happens-before race detector).
std::unique_ptr<Detector> MakeRaceDetector(const AnalysisOptions& opts);

}  // namespace pyrace
