// The one reader of ignore comments, shared by `pyrace run`/`record`/`replay` (which honour
// `# pyrace: ignore`) and `pyrace lint` (which honours flake8/ruff's `# noqa` as well).
// The grammar is documented in docs/suppressions.md:
//
//   comment   := the text after the first `#` of the line that is not inside a string literal
//   directive := `#` WS* `pyrace` WS* `:` WS* `ignore` ( WS* `[` item (`,` item)* `]` | END )
//              | `#` WS* `noqa` ( `:` WS* code ([, WS]+ code)* | END )          (lint only)
//   END       := end of line, whitespace or `#`: `ignored` and `ignore-me` are prose
//
// A directive may follow other text in the comment after a further `#`
// (`# why  # pyrace: ignore[deadlock]`). `ignore` without a list, or a bare `noqa`, silences
// every kind; a list item is a finding kind ("missed-release"), a lint rule code ("PYR001")
// or a rule name, compared without regard to ASCII case; an unclosed `[` silences nothing.
#pragma once

#include <initializer_list>
#include <string_view>

#include "runtime/model/finding.h"
#include "tool/common/source_lines.h"

namespace pyrace {

enum class IgnoreSyntax {
  kPyrace,         // `# pyrace: ignore[...]` only (run, record, replay)
  kPyraceAndNoqa,  // and `# noqa[: CODES]` (lint, so a project's existing noqa comments work)
};

// Does this Python source line's comment silence a finding known by any of `names` (its kind
// id, its rule code, its rule name; empty names are skipped)?
bool CommentIgnores(std::string_view line, std::initializer_list<std::string_view> names, IgnoreSyntax syntax);

// CommentIgnores for a finding of the run-time report: its kind id and rule code.
bool LineIgnores(std::string_view line, const Finding& f);

// Reads f's primary line (when the file exists) and applies LineIgnores.
bool IgnoredByComment(const Finding& f, SourceLines& sources);

}  // namespace pyrace
