// PYR001: acquire() not released on every path (the early `return`, a `raise` between
// acquire and release, an exception from code before a try/finally that releases).
#include <map>

#include "tool/lint/rule.h"

namespace pyrace::lint {
namespace {

const RuleInfo kInfo{
    "PYR001", "missed-release", "missed-release", FindingKind::kMissedRelease, Severity::kError,
    "Lock acquired with acquire() is not released on every path",
    "A lock taken with acquire() must be released on every way out of the code that took it: an early "
    "return, a raise, a break out of the loop, or an exception from a call between acquire() and the "
    "try/finally that releases it. A path that skips release() leaves the lock held, and every other "
    "thread that needs it blocks forever.",
    true};

int Priority(ExitKind k) {
  switch (k) {
    case ExitKind::kReturn: return 0;
    case ExitKind::kRaise: return 1;
    case ExitKind::kBreakContinue: return 2;
    case ExitKind::kFallOff: return 3;
    case ExitKind::kImplicitRaise: return 4;
  }
  return 5;
}

bool AcquiresByDesign(const std::string& name) {
  // __enter__/acquire()/lock() wrappers hand the held lock to their caller.
  return name == "__enter__" || name == "__aenter__" || name.find("acquire") != std::string::npos ||
         name == "lock" || name == "_lock" || name.rfind("lock_", 0) == 0 || name.rfind("_lock_", 0) == 0 ||
         name == "__init__";
}

std::string Message(const MissedReleaseFact& f, const LockId& lock) {
  const std::string l = "'" + lock.name + "'";
  switch (f.exit_kind) {
    case ExitKind::kReturn:
      return l + " acquired here is not released when the function returns at line " + std::to_string(f.exit.line);
    case ExitKind::kRaise:
      return l + " acquired here is not released when the exception raised at line " +
             std::to_string(f.exit.line) + " leaves the function";
    case ExitKind::kImplicitRaise:
      return l + " acquired here is not released if line " + std::to_string(f.exit.line) +
             " raises: acquire it right before the try whose finally releases it, or use 'with'";
    case ExitKind::kBreakContinue:
    case ExitKind::kFallOff:
      return l + " acquired here is still held at the end of the function on the path through line " +
             std::to_string(f.exit.line);
  }
  return l;
}

class MissedReleaseRule : public Rule {
 public:
  const RuleInfo& info() const override { return kInfo; }
  void Check(const Project& project, std::vector<Finding>& out) const override {
    for (const auto& file : project.files()) {
      for (const auto& fn : file.functions) CheckFunction(project, file, fn, out);
    }
  }

 private:
  void CheckFunction(const Project& project, const FileFacts& file, const FunctionFacts& fn,
                     std::vector<Finding>& out) const {
    std::map<std::pair<uint32_t, uint32_t>, const MissedReleaseFact*> best;
    for (const auto& f : fn.missed) {
      if (f.acquire.line == 0) continue;
      auto key = std::make_pair(f.acquire.line, f.acquire.col);
      auto it = best.find(key);
      if (it == best.end() || Priority(f.exit_kind) < Priority(it->second->exit_kind) ||
          (Priority(f.exit_kind) == Priority(it->second->exit_kind) && f.exit < it->second->exit)) {
        best[key] = &f;
      }
    }
    for (const auto& [key, f] : best) {
      LockId lock = project.Resolve(fn, f->ref);
      if (!lock.IsLock() || lock.local || AcquiresByDesign(fn.name)) continue;
      if (!f->function_releases) {
        // Never released here: only a bug if nothing in the project releases it either.
        if (lock.ctor == Ctor::kNone) continue;
        if (!project.ReleasersOf(lock.key).empty()) continue;
        Finding x = MakeFinding(kInfo, file, &fn, f->acquire,
                                "'" + lock.name + "' is acquired here and never released");
        out.push_back(std::move(x));
        continue;
      }
      Finding x = MakeFinding(kInfo, file, &fn, f->acquire, Message(*f, lock));
      x.sections.push_back(Section{"the function leaves holding the lock here:", {Location(file, &fn, f->exit)}});
      x.notes.push_back("use 'with " + lock.display + ":' or release it in a finally: block");
      out.push_back(std::move(x));
    }
  }
};

}  // namespace

std::unique_ptr<Rule> MakeMissedReleaseRule() { return std::make_unique<MissedReleaseRule>(); }

}  // namespace pyrace::lint
