// PYR007: a call that can block without bound (join, Queue get/put, Event.wait,
// Future.result without a timeout) while holding a lock: if whatever it waits for needs
// that lock, the program deadlocks. The receiver's type comes from what the code assigned
// to it (a constructor, `executor.submit()`), never from its name.
#include <algorithm>

#include "tool/lint/rule.h"
#include "tool/lint/rules/held_locks.h"

namespace pyrace::lint {
namespace {

const RuleInfo kInfo{
    "PYR007", "blocking-under-lock", "deadlock", FindingKind::kDeadlock, Severity::kWarning,
    "Call that can block forever while holding a lock",
    "Thread.join(), Queue.get()/put(), Event.wait() and Future.result() without a timeout wait for "
    "another thread for as long as it takes. Doing so inside 'with lock:' deadlocks outright when the "
    "awaited thread needs the same lock to make progress, and makes every other thread that needs the "
    "lock wait too. Release the lock before blocking, or wait on a Condition built on that lock.",
    true};

class BlockingUnderLockRule : public Rule {
 public:
  const RuleInfo& info() const override { return kInfo; }
  void Check(const Project& project, std::vector<Finding>& out) const override {
    for (const auto& file : project.files()) {
      for (const auto& fn : file.functions) {
        for (const auto& b : fn.blocking) Check(project, file, fn, b, out);
      }
    }
  }

 private:
  void Check(const Project& project, const FileFacts& file, const FunctionFacts& fn, const BlockingFact& b,
             std::vector<Finding>& out) const {
    if (b.kind == BlockKind::kSleep) return;  // a sleep ends: PYR010's business
    std::vector<LockId> held = CriticalSectionLocks(project, fn, b.held);
    if (held.empty()) return;
    LockId recv;
    if (b.receiver) recv = project.Resolve(fn, *b.receiver);
    switch (b.kind) {
      case BlockKind::kSleep:
        return;
      case BlockKind::kJoin:
        // A zero-argument join() is Thread, Process, Queue or pool join unless the
        // receiver is known to be something else.
        if (recv.IsLock() || (recv.ctor != Ctor::kNone && recv.ctor != Ctor::kThread && recv.ctor != Ctor::kQueue &&
                              recv.ctor != Ctor::kThreadExecutor && recv.ctor != Ctor::kProcessExecutor)) {
          return;
        }
        break;
      case BlockKind::kQueuePut:
        // put() blocks only on a bounded queue.
        if (recv.ctor != Ctor::kQueue || !recv.bounded) return;
        break;
      case BlockKind::kQueueGet:
        if (recv.ctor != Ctor::kQueue) return;
        break;
      case BlockKind::kWait:
        if (recv.ctor == Ctor::kCondition) {
          // Waiting on a condition releases only its own lock.
          held.erase(std::remove_if(held.begin(), held.end(), [&](const LockId& l) { return l.key == recv.key; }),
                     held.end());
          if (held.empty()) return;
        } else if (recv.ctor != Ctor::kEvent && recv.ctor != Ctor::kBarrier) {
          return;
        }
        break;
      case BlockKind::kResult:
        if (recv.ctor != Ctor::kFuture) return;
        break;
    }
    Finding x = MakeFinding(kInfo, file, &fn, b.pos,
                            "'" + b.callee_text + "()' may block indefinitely while holding '" + held[0].name +
                                "': every thread that needs the lock waits too");
    x.notes.push_back("release '" + held[0].name + "' before blocking, or pass a timeout");
    out.push_back(std::move(x));
  }
};

}  // namespace

std::unique_ptr<Rule> MakeBlockingUnderLockRule() { return std::make_unique<BlockingUnderLockRule>(); }

}  // namespace pyrace::lint
