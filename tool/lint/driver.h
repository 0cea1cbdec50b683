// Runs the linter over a set of paths: collects files, parses and extracts each on a small
// thread pool, runs the project pass and the selected rules, drops findings suppressed by
// `# pyrace: ignore[CODE]` / `# noqa: CODE` comments (tool/suppress/ignore_comment.h), and
// sorts the rest.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/model/finding.h"

namespace pyrace::lint {

struct LintRequest {
  std::vector<std::string> paths;
  std::vector<std::string> select;  // codes, code prefixes or rule names; empty: the default rules
  std::vector<std::string> ignore;
  std::vector<std::string> exclude;
  bool respect_gitignore = true;
  unsigned jobs = 2;
  // Parse and report syntax errors only (PYR000): the floor the benchmark measures the
  // analysis against.
  bool parse_only = false;
  // Where the per-file facts of unchanged files are kept between runs (facts_cache.h);
  // empty: every file is parsed.
  std::string cache_dir;
  // C/C++ sources (routed to the Clang checks, instrument/clang).
  std::string compile_commands_dir;
  std::vector<std::string> clang_args;
  // The caller exits once it has the outcome: the facts of every file (millions of small
  // blocks) are left to the process's end instead of freed one by one, as clang's
  // -disable-free leaves its AST.
  bool disable_free = false;
};

struct LintOutcome {
  std::vector<Finding> findings;  // sorted by file, line, column, rule
  std::vector<std::string> line_texts;  // primary line text of each finding (for fingerprints)
  std::vector<std::string> errors;      // unreadable inputs: exit code 2
  size_t python_files = 0, native_files = 0, lines = 0, suppressed = 0;
  std::map<std::string, std::string> texts;  // source of every file with a finding
  std::string_view Line(const std::string& file, uint32_t line) const;
};

LintOutcome RunLint(const LintRequest& request);

// Whether `code` (e.g. "PYR001") is enabled by select/ignore lists of codes, prefixes or names.
// An empty select runs the rules that are on by default; a listed one runs regardless.
bool RuleEnabled(const std::string& code, const std::string& name, const std::vector<std::string>& select,
                 const std::vector<std::string>& ignore, bool on_by_default = true);

}  // namespace pyrace::lint
