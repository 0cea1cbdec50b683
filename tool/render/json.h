// The JSON report (schema in docs/usage.md):
//   {"version": "...", "pid": N,
//    "findings": [{"kind", "severity", "rule"?, "message",
//                  "locations": [{"file", "line", "column"?, "function"}],
//                  "stacks": [{"title", "frames": [{"file", "line", "function"}]}],
//                  "notes": [...], "count", "fingerprint"}],
//    "suppressed": N, "unused_suppressions": [...]}
#pragma once

#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/model/finding.h"
#include "tool/render/report_info.h"

namespace pyrace {

nlohmann::ordered_json FindingToJson(const Finding& f);
nlohmann::ordered_json ReportToJson(const std::vector<Finding>& findings, const ReportInfo& info);
void RenderJson(const std::vector<Finding>& findings, const ReportInfo& info, std::ostream& out);

}  // namespace pyrace
