// The JSON report (schema in docs/usage.md):
//   {"version": "...", "pid": N,
//    "findings": [{"kind", "severity", "rule"?, "message",
//                  "locations": [{"file", "line", "column"?, "end_line"?, "end_column"?,
//                                 "function"}],
//                  "stacks": [{"title", "frames": [{"file", "line", "function"}]}],
//                  "notes": [...], "count", "fingerprint",
//                  "graph"?: {"nodes": [{"id", "kind", "name", "created"?, "note"?}],
//                             "edges": [{"from", "to", "thread"?, "site", "held_site"?,
//                                        "label", "on_cycle", "stack"?}]},
//                  "holds"?: [{"thread_id", "thread", "lock_id", "lock", "begin_us",
//                              "end_us", "begin_seq", "end_seq", "open", "site"}],
//                  "process"?: {"pid", "ppid", "command"},
//                  "pids"?: [...]}],
//    "suppressed": N, "unused_suppressions": [...]}
#pragma once

#include <functional>
#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/model/finding.h"
#include "tool/render/report_info.h"

namespace pyrace {

// Adds a producer's own fields to a finding's object (the linter's rule name); called last,
// so it may also replace a field it words differently.
using FindingJsonFields = std::function<void(const Finding&, nlohmann::ordered_json&)>;

// The one JSON form of a finding, used by the run/replay report and by `pyrace lint`.
nlohmann::ordered_json FindingToJson(const Finding& f, const FindingJsonFields& extra = nullptr);
nlohmann::ordered_json ReportToJson(const std::vector<Finding>& findings, const ReportInfo& info);
void RenderJson(const std::vector<Finding>& findings, const ReportInfo& info, std::ostream& out);

}  // namespace pyrace
