// A lint rule: a stable code, a name, the finding kind it maps to (runtime/model/finding.h), and a check
// over the resolved project. Rules only decide and word findings; the analyses that feed
// them (CFG, lock-state dataflow, project resolution) are shared.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runtime/model/finding.h"
#include "tool/lint/facts.h"
#include "tool/lint/project.h"

namespace pyrace::lint {

struct RuleInfo {
  const char* code;        // "PYR001"
  const char* name;        // "missed-release"
  const char* kind_id;     // the finding kind's id (FindingKindId(kind))
  FindingKind kind;
  Severity severity;
  const char* summary;     // one line (SARIF shortDescription)
  const char* description; // one paragraph: why it matters (SARIF fullDescription)
  // Whether an empty select runs it: only rules whose findings are bugs (a deadlock, a
  // race, an exception) are; advice about latency or style waits to be selected.
  bool on_by_default;
};

class Rule {
 public:
  virtual ~Rule() = default;
  virtual const RuleInfo& info() const = 0;
  virtual void Check(const Project& project, std::vector<Finding>& out) const = 0;
};

// Every rule, ordered by code.
const std::vector<std::unique_ptr<Rule>>& AllRules();
const Rule* FindRule(const std::string& code);

// Helpers for rules.
Finding MakeFinding(const RuleInfo& info, const FileFacts& file, const FunctionFacts* fn, const Pos& pos,
                    std::string message);
SourceLocation Location(const FileFacts& file, const FunctionFacts* fn, const Pos& pos);
std::string FunctionLabel(const FunctionFacts& fn);  // "Class.method", "function", "<module>"

// Factories, one per rule file.
std::unique_ptr<Rule> MakeSyntaxErrorRule();
std::unique_ptr<Rule> MakeMissedReleaseRule();
std::unique_ptr<Rule> MakeReleaseUnheldRule();
std::unique_ptr<Rule> MakeDoubleAcquireRule();
std::unique_ptr<Rule> MakeLockOrderInversionRule();
std::unique_ptr<Rule> MakeInconsistentLockingRule();
std::unique_ptr<Rule> MakeUnlockedIncrementRule();
std::unique_ptr<Rule> MakeBlockingUnderLockRule();
std::unique_ptr<Rule> MakeWaitNotInLoopRule();
std::unique_ptr<Rule> MakeConditionNotHeldRule();
std::unique_ptr<Rule> MakeSleepUnderLockRule();

}  // namespace pyrace::lint
