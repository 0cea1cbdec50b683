// The detectors behind one interface: feed events in order, then Finish() for the
// findings. The same object runs live inside `pyrace run` (on the runtime's pipe) and
// offline in `pyrace replay`, so both give the same findings.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "runtime/model/event.h"
#include "runtime/model/finding.h"
#include "runtime/model/symbols.h"
#include "runtime/trace/trace.h"

namespace pyrace {

class LockGraph;

struct AnalysisOptions {
  bool races = true;
  bool deadlocks = true;       // lock-order inversions, deadlocks, missed/bad releases
  bool lock_class_view = false;  // lock graph nodes are creation sites, not instances
  int max_findings = 1000;
  // Keep who held which lock when, for the findings' timelines (hold_history.h): only
  // the HTML report draws them and the JSON report carries them.
  bool hold_timeline = false;
};

class Analyzer : public EventSink {
 public:
  explicit Analyzer(const AnalysisOptions& opts);
  ~Analyzer() override;

  void OnEvent(const Event& e, const Symbols& syms) override;
  // A trace of format 2.1 or later records how its process ended (kProcessEnd).
  void OnHeader(const TraceHeader& header) override;

  // Called with each new deadlock finding as soon as the watchdog's report of it is
  // complete in the stream, before Finish (`--on-deadlock=continue`: the program keeps
  // running, and the user must see the hang now). Finish still returns it.
  void OnDeadlock(std::function<void(const Finding&)> listener);

  // End of the event stream (complete or truncated). Findings are deduplicated, with
  // counts, in a stable order (by kind, then first occurrence).
  std::vector<Finding> Finish(const Symbols& syms);

  // The lock-order graph built so far; null when deadlocks are not analysed. The
  // lock-class summary of a process (runtime/analysis/lock_class/) is made from it.
  const LockGraph* lock_graph() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pyrace
