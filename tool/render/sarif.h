// SARIF 2.1.0 over the shared Finding model, for code scanning (GitHub, Azure DevOps).
// Lint findings carry their rule code and related locations (the other side of an
// inversion); run-time findings use their finding kind as the rule id and their stacks
// become SARIF stacks. Valid under Microsoft's SARIF validator (tests/tool/lint).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "runtime/model/finding.h"

namespace pyrace {

struct SarifRule {
  std::string id;                 // "PYR001", or a finding kind id for run-time findings
  std::string name;               // "missed-release"
  std::string short_description;  // one line
  std::string full_description;   // one paragraph
  std::string help_uri;           // optional
  Severity default_level = Severity::kError;
  std::string kind;               // finding kind id (FindingKindId), a rule property
};

struct SarifOptions {
  std::string tool_name = "pyrace";
  std::string version;            // defaults to the build's version
  std::string information_uri;
  std::vector<SarifRule> rules;   // ids findings refer to; missing ones are derived from kinds
  std::string source_root;        // absolute directory relative paths are resolved from (default: cwd)
};

void RenderSarif(const std::vector<Finding>& findings, const SarifOptions& options, std::ostream& out);
// Run-time findings (run/replay): one rule per finding kind.
void RenderSarif(const std::vector<Finding>& findings, std::ostream& out);

}  // namespace pyrace
