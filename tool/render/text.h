// The text report, in ThreadSanitizer's layout adapted to Python:
//
//   ==================
//   ==PID==WARNING: pyrace: <kind> (pid=PID)
//     <message>
//     <section title>
//       #0 function file:line
//           <source line>
//     hint: <note>
//   SUMMARY: pyrace: <kind> file:line in function
//   ==================
//   pyrace: reported N warnings
#pragma once

#include <ostream>
#include <vector>

#include "runtime/model/finding.h"
#include "tool/common/source_lines.h"
#include "tool/render/report_info.h"

namespace pyrace {

void RenderText(const std::vector<Finding>& findings, const ReportInfo& info, SourceLines& sources,
                std::ostream& out);

// One finding, without the separators and the final count line.
void RenderTextFinding(const Finding& f, const ReportInfo& info, SourceLines& sources, std::ostream& out);

}  // namespace pyrace
