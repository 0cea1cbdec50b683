// The reduce step over lock-class summaries (summary.h): one lock graph whose nodes
// are lock classes and whose edges were taken in any of the processes, searched for
// cycles that could deadlock with the in-process detector's own search and filters
// (one distinct thread per edge, no common gate lock; try-acquires and re-entries
// never became edges). A cycle is reported only when no single process could close it
// alone: that one was already decided, and reported if real, by the process's own
// analysis. An edge of a class its process made several locks of joins no other
// process's (docs/fleets.md): which of them another process's lock would be is unknown.
#pragma once

#include <span>
#include <vector>

#include "runtime/analysis/lock_class/summary.h"
#include "runtime/model/finding.h"

namespace pyrace {

// lock-order-inversion findings across the summaries' processes, deduplicated and
// fingerprinted like the in-process ones (same acquire sites, same fingerprint), at
// most max_findings (<= 0: no limit). Threads are named "MainThread in process 4242
// of a.pyrt"; a note per process gives its command line.
std::vector<Finding> MergeLockClassSummaries(std::span<const LockClassSummary> summaries,
                                             int max_findings = 1000);

// One process of a live run, once its Analyzer has finished: the Analyzer, the
// symbols of its trace, and which process it was.
struct ProcessAnalysis {
  const Analyzer* analyzer = nullptr;
  const Symbols* syms = nullptr;
  ProcessIdentity process;
};

// The findings of one live run that no process shows alone (inversions whose orders
// were taken in different processes): summarize each process, then merge.
std::vector<Finding> CrossProcessFindings(std::span<const ProcessAnalysis> processes,
                                          int max_findings = 1000);

}  // namespace pyrace
