// `# pyrace: ignore` and `# pyrace: ignore[kind, ...]` comments on a finding's primary
// source line silence it, like linters' noqa comments. The bracketed list names finding
// kinds ("missed-release") or lint rule codes ("PYR001"); no list ignores every kind.
#pragma once

#include <string_view>

#include "runtime/model/finding.h"
#include "tool/common/source_lines.h"

namespace pyrace {

// Does this source line carry an ignore comment that covers f?
bool LineIgnores(std::string_view line, const Finding& f);

// Reads f's primary line (when the file exists) and applies LineIgnores.
bool IgnoredByComment(const Finding& f, SourceLines& sources);

}  // namespace pyrace
