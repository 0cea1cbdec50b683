// PYR003: a blocking acquire of a non-reentrant Lock this thread already holds, directly
// or through a call to a project function that takes it (self-deadlock).
#include <set>

#include "tool/lint/rule.h"

namespace pyrace::lint {
namespace {

const RuleInfo kInfo{
    "PYR003", "double-acquire", "deadlock", FindingKind::kDeadlock, Severity::kError,
    "Non-reentrant Lock acquired again by the thread that holds it",
    "threading.Lock is not reentrant: a thread that calls acquire() (or enters 'with lock:') while it "
    "already holds the lock waits for itself forever. This happens with nested with-blocks, an "
    "acquire() on a path that did not release, or a method that calls another method taking the same "
    "lock. Use an RLock if re-entry is intended, or split the method into a locked public part and an "
    "unlocked private part.",
    true};

bool Plain(const LockId& l) { return l.IsSharedLock() && !l.reentrant && (l.ctor == Ctor::kLock || l.ctor == Ctor::kCondition); }

class DoubleAcquireRule : public Rule {
 public:
  const RuleInfo& info() const override { return kInfo; }
  void Check(const Project& project, std::vector<Finding>& out) const override {
    for (const auto& file : project.files()) {
      for (const auto& fn : file.functions) {
        Direct(project, file, fn, out);
        ThroughCalls(project, file, fn, out);
      }
    }
  }

 private:
  void Direct(const Project& project, const FileFacts& file, const FunctionFacts& fn, std::vector<Finding>& out) const {
    std::set<std::pair<uint32_t, uint32_t>> seen;
    for (const auto& d : fn.doubles) {
      LockId lock = project.Resolve(fn, d.ref);
      if (!Plain(lock)) continue;
      if (!seen.insert({d.second.line, d.second.col}).second) continue;
      // A Lock released by another function may be a hand-off signal, not a self-deadlock.
      bool handed_off = false;
      for (const FunctionFacts* r : project.SignalersOf(lock.key)) handed_off |= r != &fn;
      if (handed_off && !d.via_with) continue;
      Finding x = MakeFinding(kInfo, file, &fn, d.second,
                              "'" + lock.name + "' is a non-reentrant Lock already held here" +
                                  (d.via_with ? std::string(" by an enclosing 'with'")
                                  : d.first == d.second ? std::string(" from the previous loop iteration")
                                                        : " (acquired at line " + std::to_string(d.first.line) + ")") +
                                  ": this thread deadlocks on itself");
      out.push_back(std::move(x));
    }
  }

  void ThroughCalls(const Project& project, const FileFacts& file, const FunctionFacts& fn,
                    std::vector<Finding>& out) const {
    for (const auto& c : fn.calls) {
      if (c.held.empty()) continue;
      const FunctionFacts* callee = project.ResolveCall(fn, c.callee);
      if (!callee || callee == &fn) continue;
      for (const Ref& h : c.held) {
        LockId held = project.Resolve(fn, h);
        if (!Plain(held)) continue;
        for (const auto& a : project.AcquiresThrough(callee, 1)) {
          if (a.lock.key != held.key) continue;
          const FileFacts* af = project.FileOf(*a.in);
          Finding x = MakeFinding(kInfo, file, &fn, c.pos,
                                  "'" + c.callee.text + "()' acquires '" + held.name +
                                      "' again while this thread holds it (a non-reentrant Lock): self-deadlock");
          if (af) x.sections.push_back(Section{"acquired again here:", {Location(*af, a.in, a.pos)}});
          out.push_back(std::move(x));
          break;
        }
      }
    }
  }
};

}  // namespace

std::unique_ptr<Rule> MakeDoubleAcquireRule() { return std::make_unique<DoubleAcquireRule>(); }

}  // namespace pyrace::lint
