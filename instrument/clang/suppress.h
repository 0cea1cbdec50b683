// `// NOLINT(pyrace-<kind>)` on the finding's line, or `// NOLINTNEXTLINE(pyrace-<kind>)`
// on the line before; a bare NOLINT / NOLINTNEXTLINE, or `pyrace-*`, suppresses every kind.
#pragma once

#include <string_view>

namespace pyrace::clint {

// `text` is the whole file, `line` 1-based, `kind` a stable id ("gil-not-held").
bool IsSuppressed(std::string_view text, unsigned line, std::string_view kind);

}  // namespace pyrace::clint
