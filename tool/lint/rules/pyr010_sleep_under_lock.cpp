// PYR010: time.sleep() while holding a lock. Not on by default: a sleep always ends, so
// it costs the other threads latency, never correctness (the seed's own corrected program
// sleeps while holding its lock, and is right).
#include "tool/lint/rule.h"
#include "tool/lint/rules/held_locks.h"

namespace pyrace::lint {
namespace {

const RuleInfo kInfo{
    "PYR010", "sleep-under-lock", "deadlock", FindingKind::kDeadlock, Severity::kNote,
    "time.sleep() while holding a lock",
    "A thread that sleeps inside 'with lock:' makes every other thread that needs the lock wait for "
    "the whole sleep. The program stays correct (the sleep ends), so this is advice about latency and "
    "throughput, not a bug, and is off unless selected. Sleep after releasing the lock, or wait on a "
    "Condition or Event with a timeout so other threads can get in.",
    false};

class SleepUnderLockRule : public Rule {
 public:
  const RuleInfo& info() const override { return kInfo; }
  void Check(const Project& project, std::vector<Finding>& out) const override {
    for (const auto& file : project.files()) {
      for (const auto& fn : file.functions) {
        for (const auto& b : fn.blocking) {
          if (b.kind != BlockKind::kSleep) continue;
          std::vector<LockId> held = CriticalSectionLocks(project, fn, b.held);
          if (held.empty()) continue;
          Finding x = MakeFinding(kInfo, file, &fn, b.pos,
                                  "'" + b.callee_text + "()' sleeps while holding '" + held[0].name +
                                      "': every thread that needs the lock waits too");
          x.notes.push_back("release '" + held[0].name + "' before sleeping");
          out.push_back(std::move(x));
        }
      }
    }
  }
};

}  // namespace

std::unique_ptr<Rule> MakeSleepUnderLockRule() { return std::make_unique<SleepUnderLockRule>(); }

}  // namespace pyrace::lint
