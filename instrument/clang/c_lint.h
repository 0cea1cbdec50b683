// Static GIL-discipline checks for C/C++ extension sources.
// `pyrace lint file.c` calls LintCFiles; it parses each file with Clang 14 and walks
// every function's CFG with the GIL state, the PyGILState_Ensure depth and the held C
// locks, reporting gil-not-held, gil-state-leak, missed-release and GIL-vs-mutex
// lock-order-inversion findings in the shared model (runtime/model/finding.h).
#pragma once

#include <string>
#include <vector>

#include "runtime/model/finding.h"

namespace pyrace {

struct CLintOptions {
  // Directory holding compile_commands.json (`-p DIR`); empty: none. Files missing
  // from it are compiled with the fallback flags below.
  std::string compile_commands_dir;
  // Flags given after `--`; appended to every command (database or fallback).
  std::vector<std::string> extra_args;
  // Python include directory for the fallback command; empty: the interpreter's
  // sysconfig "include" path.
  std::string python_include_dir;
  // Interpreter asked for its include path when python_include_dir is empty.
  std::string interpreter = "python3";
};

// Lints each file; findings are sorted by (file, line, column, kind) and
// deduplicated (a header included by several files reports once). A file that does not
// compile is one PYC000 finding at the compiler's first error and the rest are linted;
// *errors gets the inputs that cannot be read at all ("file: error: ...").
std::vector<Finding> LintCFiles(const std::vector<std::string>& files, const CLintOptions& opts,
                                std::vector<std::string>* errors);

// The C-extension rules, declared like the Python rules (tool/lint/rule.h's RuleInfo):
// for `lint --list-rules`, SARIF rule metadata and the doc pages docs/lint/rules/CODE.md.
struct CLintRule {
  const char* code;         // "PYC001"
  const char* name;         // "refcount-without-gil"
  FindingKind kind;
  Severity severity;
  const char* summary;      // one line
  const char* description;  // one paragraph: why it matters
  bool on_by_default;       // every C rule reports a bug, so all are
};
const std::vector<CLintRule>& CLintRules();

}  // namespace pyrace
