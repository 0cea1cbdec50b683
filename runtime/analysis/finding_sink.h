// Collects findings from the detectors: one per distinct (kind, dedup key), counting
// repeats, then hands them out ordered by kind and first occurrence (the event index
// the detector decided at) so live runs and replays print the same report.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/model/finding.h"

namespace pyrace {

class FindingSink {
 public:
  // dedup_key must name sites (file:line), not run-specific ids, so it is stable
  // across runs: the fingerprint is derived from it (runtime/model/fingerprint.h) unless the
  // detector set one. A repeat adds f.count.
  // Returns the stored finding when it is new, null for a repeat.
  const Finding* Add(Finding f, std::string_view dedup_key, uint64_t seq);

  // Counts one more occurrence of an existing finding; false when there is none (then
  // build it and Add it). Lets a hot path skip building a finding it already has.
  bool Bump(FindingKind kind, std::string_view dedup_key);

  // Moves everything into out, keeping keys and first-occurrence order (a detector that
  // builds findings as events arrive keeps them in its own sink until Finish).
  void MoveTo(FindingSink& out);

  // Ordered by kind, then seq; at most max_findings (<= 0: no limit).
  std::vector<Finding> Take(int max_findings);

  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Finding finding;
    std::string key;
    uint64_t seq = 0;
  };
  static std::string IndexKey(FindingKind kind, std::string_view dedup_key);

  std::vector<Entry> entries_;
  std::unordered_map<std::string, size_t> index_;  // kind id + key -> entries_
};

}  // namespace pyrace
