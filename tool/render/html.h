// The HTML report: one self-contained page (inline CSS and SVG, no script, nothing
// fetched when it opens; its Content-Security-Policy forbids any load) showing each
// finding with its stacks (machinery frames folded as in text, a click away), source
// excerpts, the lock graph it is about drawn as SVG (a lock-order cycle, a deadlock's
// wait-for graph, cycle edges highlighted), and a per-thread timeline of the graph's
// lock holds. Under pytest, findings are grouped by test. Every string from the
// program (names, paths, source lines, messages) is escaped.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/model/finding.h"
#include "tool/common/source_lines.h"
#include "tool/render/report_info.h"

namespace pyrace {

void RenderHtml(const std::vector<Finding>& findings, const ReportInfo& info, SourceLines& sources,
                std::ostream& out);

// Text for HTML element content and (quoted) attribute values: & < > " ' escaped.
std::string HtmlEscape(std::string_view s);

}  // namespace pyrace
