// PYR007: a blocking call (sleep, join, Queue get/put, Event.wait, Future.result without a
// timeout) while holding a lock: every thread that needs the lock waits as long.
#include <algorithm>
#include <cctype>

#include "tool/lint/rule.h"

namespace pyrace::lint {
namespace {

const RuleInfo kInfo{
    "PYR007", "blocking-under-lock", "deadlock", FindingKind::kDeadlock, Severity::kWarning,
    "Blocking call while holding a lock",
    "time.sleep(), Thread.join(), Queue.get()/put(), Event.wait() and Future.result() without a timeout "
    "can block for an unbounded time. Doing so inside 'with lock:' makes every other thread that needs "
    "the lock wait too, and deadlocks outright when the awaited thread needs the same lock to make "
    "progress. Release the lock before blocking, or wait on a Condition built on that lock."};

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool NameHas(const std::string& text, std::initializer_list<const char*> words) {
  std::string l = Lower(text.substr(text.find_last_of('.') == std::string::npos ? 0 : text.find_last_of('.') + 1));
  for (const char* w : words) {
    if (l.find(w) != std::string::npos) return true;
  }
  return false;
}

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
    std::vector<LockId> held;
    for (const auto& h : b.held) {
      LockId l = project.Resolve(fn, h);
      // A Lock used as a signal between threads (released where it was not taken, or
      // taken and left for another to release) guards no critical section.
      if (l.IsSharedLock() && !project.IsHandedOff(l.key)) held.push_back(std::move(l));
    }
    if (held.empty()) return;
    LockId recv;
    if (b.receiver) recv = project.Resolve(fn, *b.receiver);
    std::string rtext = b.receiver ? b.receiver->text : "";
    switch (b.kind) {
      case BlockKind::kSleep:
        break;
      case BlockKind::kJoin:
        if (recv.IsLock()) return;
        break;
      case BlockKind::kQueuePut:
        // put() blocks only on a bounded queue.
        if (recv.ctor != Ctor::kQueue || !recv.bounded) return;
        break;
      case BlockKind::kQueueGet:
        if (recv.ctor != Ctor::kQueue && !(recv.ctor == Ctor::kNone && NameHas(rtext, {"queue"})) &&
            rtext != "q" && rtext != "self.q") {
          return;
        }
        break;
      case BlockKind::kWait:
        if (recv.ctor == Ctor::kCondition) {
          // Waiting on a condition releases only its own lock.
          held.erase(std::remove_if(held.begin(), held.end(), [&](const LockId& l) { return l.key == recv.key; }),
                     held.end());
          if (held.empty()) return;
        } else if (recv.ctor != Ctor::kEvent && recv.ctor != Ctor::kBarrier &&
                   !(recv.ctor == Ctor::kNone && NameHas(rtext, {"event"}))) {
          return;
        }
        break;
      case BlockKind::kResult:
        if (recv.ctor != Ctor::kFuture && !(recv.ctor == Ctor::kNone && NameHas(rtext, {"fut"}))) return;
        break;
    }
    // A sleep always ends; the other calls have no timeout and may never return.
    const bool sleep = b.kind == BlockKind::kSleep;
    Finding x = MakeFinding(kInfo, file, &fn, b.pos,
                            "'" + b.callee_text + "()' " + (sleep ? "sleeps" : "may block indefinitely") +
                                " while holding '" + held[0].display + "': every thread that needs the lock waits too");
    x.notes.push_back(sleep ? "release '" + held[0].display + "' before sleeping"
                            : "release '" + held[0].display + "' before blocking, or pass a timeout");
    out.push_back(std::move(x));
  }
};

}  // namespace

std::unique_ptr<Rule> MakeBlockingUnderLockRule() { return std::make_unique<BlockingUnderLockRule>(); }

}  // namespace pyrace::lint
