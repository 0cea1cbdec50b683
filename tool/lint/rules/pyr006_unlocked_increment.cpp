// PYR006: `x += ...` on a global, nonlocal or attribute, without a lock, in a function that
// is a thread target or submitted to an executor (the seed's unlocked counter).
#include <set>

#include "tool/lint/rule.h"
#include "tool/lint/rules/access_keys.h"

namespace pyrace::lint {
namespace {

const RuleInfo kInfo{
    "PYR006", "unlocked-increment", "data-race", FindingKind::kDataRace, Severity::kWarning,
    "Unlocked read-modify-write of shared state in a thread target",
    "'counter += 1' is a read, an add and a write: two threads can read the same old value and one "
    "increment is lost. Under the GIL this happens whenever a thread switch falls between the read and "
    "the write; without the GIL it happens constantly. In a function that runs as a thread (Thread "
    "target, executor submission) guard the update with a lock shared by all threads.",
    true};

bool HeldSharedLock(const Project& project, const FunctionFacts& fn, const std::vector<Ref>& held) {
  for (const auto& h : held) {
    if (project.Resolve(fn, h).IsSharedLock()) return true;
  }
  return false;
}

class UnlockedIncrementRule : public Rule {
 public:
  const RuleInfo& info() const override { return kInfo; }
  void Check(const Project& project, std::vector<Finding>& out) const override {
    for (const auto& file : project.files()) {
      for (const auto& fn : file.functions) {
        if (!project.IsThreadTarget(&fn)) continue;
        // In Thread.run, self is the thread: its own attributes are not shared by default.
        bool own_self = project.IsThreadClassMethod(fn);
        std::set<std::string> done;
        for (const auto& a : fn.accesses) {
          if (!a.augmented || HeldSharedLock(project, fn, a.held)) continue;
          if (a.target == AccessTarget::kSelfAttr && own_self) continue;
          if (a.target == AccessTarget::kObjectAttr &&
              ((own_self && a.object.kind == RefKind::kSelfAttr) || project.ObjectAttrKey(fn, a.object, a.name).empty())) {
            continue;  // an object of unknown class, or one the thread owns
          }
          if (!done.insert(AccessDisplay(a)).second) continue;
          const char* what = a.target == AccessTarget::kGlobal     ? "global"
                             : a.target == AccessTarget::kNonlocal ? "nonlocal"
                                                                   : "attribute";
          Finding x = MakeFinding(kInfo, file, &fn, a.pos,
                                  "unlocked read-modify-write of " + std::string(what) + " '" + AccessDisplay(a) +
                                      "' in thread target '" + fn.qualname + "': concurrent updates are lost");
          x.notes.push_back("guard the update with a lock shared by the threads");
          out.push_back(std::move(x));
        }
      }
    }
  }
};

}  // namespace

std::unique_ptr<Rule> MakeUnlockedIncrementRule() { return std::make_unique<UnlockedIncrementRule>(); }

}  // namespace pyrace::lint
