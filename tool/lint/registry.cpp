#include "tool/lint/rule.h"

namespace pyrace::lint {

const std::vector<std::unique_ptr<Rule>>& AllRules() {
  static const std::vector<std::unique_ptr<Rule>> rules = [] {
    std::vector<std::unique_ptr<Rule>> r;
    r.push_back(MakeSyntaxErrorRule());
    r.push_back(MakeMissedReleaseRule());
    r.push_back(MakeReleaseUnheldRule());
    r.push_back(MakeDoubleAcquireRule());
    r.push_back(MakeLockOrderInversionRule());
    r.push_back(MakeInconsistentLockingRule());
    r.push_back(MakeUnlockedIncrementRule());
    r.push_back(MakeBlockingUnderLockRule());
    r.push_back(MakeWaitNotInLoopRule());
    r.push_back(MakeConditionNotHeldRule());
    r.push_back(MakeSleepUnderLockRule());
    return r;
  }();
  return rules;
}

const Rule* FindRule(const std::string& code) {
  for (const auto& r : AllRules()) {
    if (code == r->info().code || code == r->info().name) return r.get();
  }
  return nullptr;
}

std::string FunctionLabel(const FunctionFacts& fn) { return fn.qualname; }

SourceLocation Location(const FileFacts& file, const FunctionFacts* fn, const Pos& pos) {
  SourceLocation l;
  l.file = file.path;
  l.line = pos.line;
  l.column = pos.col;
  l.end_line = pos.end_line;
  l.end_column = pos.end_col;
  if (fn) l.function = FunctionLabel(*fn);
  return l;
}

Finding MakeFinding(const RuleInfo& info, const FileFacts& file, const FunctionFacts* fn, const Pos& pos,
                    std::string message) {
  Finding f;
  f.kind = info.kind;
  f.severity = info.severity;
  f.rule = info.code;
  f.message = std::move(message);
  f.primary = Location(file, fn, pos);
  return f;
}

}  // namespace pyrace::lint
