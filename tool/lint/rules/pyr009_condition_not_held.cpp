// PYR009: Condition.wait()/notify() without holding the condition's lock (RuntimeError:
// cannot wait on / notify on un-acquired lock).
#include "tool/lint/rule.h"

namespace pyrace::lint {
namespace {

const RuleInfo kInfo{
    "PYR009", "condition-not-held", "bad-release", FindingKind::kBadRelease, Severity::kError,
    "Condition.wait()/notify() called without holding the condition",
    "Condition.wait() releases the condition's lock and notify() requires it to be held: calling either "
    "without 'with cond:' raises RuntimeError at run time, and notifying outside the lock loses wakeups "
    "when the waiter checks its predicate between the change and the notify. Hold the condition (or "
    "the lock it was built on) around the state change and the call.",
    true};

bool Holds(const Project& project, const FunctionFacts& fn, const std::vector<Ref>& held, const std::string& key) {
  for (const auto& h : held) {
    if (project.Resolve(fn, h).key == key) return true;
  }
  return false;
}

class ConditionNotHeldRule : public Rule {
 public:
  const RuleInfo& info() const override { return kInfo; }
  void Check(const Project& project, std::vector<Finding>& out) const override {
    for (const auto& file : project.files()) {
      for (const auto& fn : file.functions) {
        for (const auto& c : fn.cond_ops) {
          LockId cond = project.Resolve(fn, c.receiver);
          if (cond.ctor != Ctor::kCondition || Holds(project, fn, c.held, cond.key)) continue;
          if (!Unheld(project, fn, cond.key)) continue;
          Finding x = MakeFinding(kInfo, file, &fn, c.pos,
                                  "'" + c.receiver.text + "." + c.method + "()' is called without holding '" + cond.name +
                                      "' (RuntimeError: un-acquired lock)");
          x.notes.push_back("call it inside 'with " + c.receiver.text + ":'");
          out.push_back(std::move(x));
        }
      }
    }
  }

 private:
  // Whether the function runs without the condition: it takes the condition itself
  // elsewhere, runs as a thread, or every project call site calls it unlocked. A helper
  // with no visible callers is given the benefit of the doubt.
  static bool Unheld(const Project& project, const FunctionFacts& fn, const std::string& key) {
    for (const auto& a : fn.acquires) {
      if (project.Resolve(fn, a.ref).key == key) return true;
    }
    if (project.IsThreadTarget(&fn)) return true;
    const auto& callers = project.CallersOf(&fn);
    if (callers.empty()) return false;
    for (const auto& site : callers) {
      if (Holds(project, *site.caller, site.call->held, key)) return false;
    }
    return true;
  }
};

}  // namespace

std::unique_ptr<Rule> MakeConditionNotHeldRule() { return std::make_unique<ConditionNotHeldRule>(); }

}  // namespace pyrace::lint
