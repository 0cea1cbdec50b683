// A small event-script DSL for the detector tests, in the style of TSan's unit tests:
//
//   Script s;
//   LockId a = s.NewLock("a.py", 3);
//   s.T(1).Lock(a).At("a.py", 10, "f").Unlock(a);
//   std::vector<Finding> findings = s.Analyze();
//
// Events are recorded in the order the script states them (one global order, as the
// recorder would see them under the GIL); At() sets the call site of the last event.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "runtime/analysis/analyzer.h"
#include "runtime/model/event.h"
#include "runtime/model/finding.h"
#include "runtime/model/symbols.h"

namespace pyrace::testing {

class Script;

class ThreadScript {
 public:
  ThreadScript(Script* s, Tid t) : s_(s), t_(t) {}

  ThreadScript& Lock(LockId l);       // blocking acquire
  ThreadScript& TimedLock(LockId l);  // acquire(timeout=...) that succeeded
  ThreadScript& TryLock(LockId l);    // acquire(blocking=False) that succeeded
  ThreadScript& TryFail(LockId l);    // a non-blocking acquire that did not get it
  ThreadScript& ReLock(LockId l);     // RLock re-entry (level > 1)
  ThreadScript& Unlock(LockId l);
  ThreadScript& ReUnlock(LockId l);   // RLock release that leaves it held
  ThreadScript& BadUnlock(LockId l);  // a release the interpreter refused
  ThreadScript& Freed(LockId l);      // the lock object died while this thread held it
  ThreadScript& FrameEnd(LockId l, bool raised = false);  // kLockHeldAtFrameEnd
  ThreadScript& Start(Tid child);
  ThreadScript& Join(Tid child);
  ThreadScript& Exit();
  ThreadScript& Fork();  // os.fork() called by this thread (kFork)
  ThreadScript& EndProcess();  // the process ends by its own doing (kProcessEnd)
  // Deadlock group members (between Script::DeadlockBegin and DeadlockEnd).
  ThreadScript& WaitsLock(LockId l);
  ThreadScript& WaitsJoin(Tid t);
  ThreadScript& WaitsAll();
  ThreadScript& StackHere();  // kThreadStack: a live thread that is not stuck
  // The event-loop watcher (this thread runs the loop): a step of task (kNoTid: a plain
  // callback) sampled after it had blocked for ms, and the end of the step after us.
  ThreadScript& LoopBlocked(Tid task, uint16_t ms);
  ThreadScript& LoopStepEnd(uint64_t us);
  // Race mode on a loop's thread: task `number` (named name) runs from here on; NoTask:
  // a plain callback or the loop itself does. TaskGone: the task was freed.
  ThreadScript& TaskStep(uint32_t number, const std::string& name);
  ThreadScript& NoTask();
  ThreadScript& TaskGone(uint32_t number);
  // Accesses (kAccess) of a location made by Script::NewLocation.
  ThreadScript& Read(LocId loc);
  ThreadScript& Check(LocId loc);      // a read that decides a write (`if k in d`)
  ThreadScript& Write(LocId loc);
  ThreadScript& Update(LocId loc);     // read-modify-write (x += 1)
  ThreadScript& Commuting(LocId loc);  // append, add, a new key

  // The call site of the last event: one frame, or a stack (innermost first).
  ThreadScript& At(const std::string& file, uint32_t line, const std::string& function = "f");
  ThreadScript& At(const std::vector<std::tuple<std::string, uint32_t, std::string>>& frames);

 private:
  friend class Script;
  ThreadScript& Emit(EventKind kind, uint64_t obj, uint8_t flags = 0, uint16_t aux = 0);
  Script* s_;
  Tid t_;
};

class Script {
 public:
  Script();

  // A lock created by the main thread at file:line.
  LockId NewLock(const std::string& file = "t.py", uint32_t line = 0,
                 LockKind kind = LockKind::kLock);
  // A lock created by thread t inside function (Condition.wait making its waiter).
  LockId NewLockBy(Tid t, const std::string& file, uint32_t line, const std::string& function,
                   LockKind kind = LockKind::kLock);
  // A lock created by thread t with this creation stack (innermost first).
  LockId NewLockWithStack(Tid t, const std::vector<std::tuple<std::string, uint32_t, std::string>>& frames,
                          LockKind kind = LockKind::kLock);
  LockId NewRLock(const std::string& file = "t.py", uint32_t line = 0) {
    return NewLock(file, line, LockKind::kRLock);
  }

  // A shared location ("Counter.n") of object `object`.
  LocId NewLocation(const std::string& description, uint64_t object = 1);

  // Thread t, named "Thread-t" ("MainThread" for 0) unless Name() says otherwise.
  ThreadScript T(Tid t);
  void Name(Tid t, const std::string& name);
  // The name the program keeps lock l under (a kLockName record: "Account.lock").
  void NameLock(LockId l, const std::string& name);

  void DeadlockBegin();
  void DeadlockEnd();

  std::vector<Finding> Analyze(AnalysisOptions opts = {});
  // The same, as read from a trace of this version's format (Analyzer::OnHeader first),
  // which records how its process ended.
  std::vector<Finding> AnalyzeAsTrace(AnalysisOptions opts = {});

  const Symbols& symbols() const { return syms_; }
  const std::vector<Event>& events() const { return events_; }

 private:
  friend class ThreadScript;
  StrId Intern(const std::string& s);
  StackId InternStack(const std::vector<Frame>& frames);
  void EnsureThread(Tid t);

  Symbols syms_;
  std::vector<Event> events_;
  std::map<std::string, StrId> strings_;
  std::map<std::vector<std::tuple<StrId, StrId, uint32_t>>, StackId> stacks_;
  uint64_t time_us_ = 0;
};

// Findings of one kind, in report order.
std::vector<Finding> OfKind(const std::vector<Finding>& all, FindingKind kind);
// "file:line" of the primary location.
std::string Primary(const Finding& f);
// Every section title, one per line.
std::string Titles(const Finding& f);

}  // namespace pyrace::testing
