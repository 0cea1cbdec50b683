// PYR008: Condition.wait() outside a while loop that re-checks the predicate.
#include "tool/lint/rule.h"

namespace pyrace::lint {
namespace {

const RuleInfo kInfo{
    "PYR008", "wait-not-in-loop", "data-race", FindingKind::kDataRace, Severity::kWarning,
    "Condition.wait() is not inside a while loop re-checking its predicate",
    "Returning from Condition.wait() does not mean the awaited state holds: notify_all() wakes every "
    "waiter, another thread may consume the state first, a notify may be meant for a different "
    "predicate, and a timeout returns anyway. Wait in a loop ('while not ready: cond.wait()') or use "
    "cond.wait_for(predicate).",
    true};

class WaitNotInLoopRule : public Rule {
 public:
  const RuleInfo& info() const override { return kInfo; }
  void Check(const Project& project, std::vector<Finding>& out) const override {
    for (const auto& file : project.files()) {
      for (const auto& fn : file.functions) {
        for (const auto& c : fn.cond_ops) {
          if (c.op != CondOp::kWait || c.in_while || c.timed) continue;
          LockId cond = project.Resolve(fn, c.receiver);
          if (cond.ctor != Ctor::kCondition) continue;
          Finding x = MakeFinding(kInfo, file, &fn, c.pos,
                                  "'" + c.receiver.text + ".wait()' is not inside a while loop re-checking its condition");
          x.notes.push_back("use 'while not <predicate>: " + c.receiver.text + ".wait()' or '" + c.receiver.text +
                            ".wait_for(<predicate>)'");
          out.push_back(std::move(x));
        }
      }
    }
  }
};

}  // namespace

std::unique_ptr<Rule> MakeWaitNotInLoopRule() { return std::make_unique<WaitNotInLoopRule>(); }

}  // namespace pyrace::lint
