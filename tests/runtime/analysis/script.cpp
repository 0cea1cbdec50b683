#include "tests/runtime/analysis/script.h"

namespace pyrace::testing {

ThreadScript& ThreadScript::Emit(EventKind kind, uint64_t obj, uint8_t flags, uint16_t aux) {
  s_->EnsureThread(t_);
  s_->events_.push_back(MakeEvent(kind, t_, obj, kNoStack, ++s_->time_us_, flags, aux));
  return *this;
}

ThreadScript& ThreadScript::Lock(LockId l) { return Emit(EventKind::kLockAcquired, l); }
ThreadScript& ThreadScript::TimedLock(LockId l) { return Emit(EventKind::kLockAcquired, l, kFlagTimed); }
ThreadScript& ThreadScript::TryLock(LockId l) { return Emit(EventKind::kLockAcquired, l, kFlagTry); }
ThreadScript& ThreadScript::TryFail(LockId l) { return Emit(EventKind::kLockTryFailed, l, kFlagTry); }
ThreadScript& ThreadScript::ReLock(LockId l) { return Emit(EventKind::kLockAcquired, l, kFlagReentrant); }
ThreadScript& ThreadScript::Unlock(LockId l) { return Emit(EventKind::kLockRelease, l); }
ThreadScript& ThreadScript::ReUnlock(LockId l) { return Emit(EventKind::kLockRelease, l, kFlagReentrant); }
ThreadScript& ThreadScript::BadUnlock(LockId l) { return Emit(EventKind::kLockRelease, l, kFlagError); }

ThreadScript& ThreadScript::Freed(LockId l) { return Emit(EventKind::kLockRelease, l, kFlagFreed); }

ThreadScript& ThreadScript::FrameEnd(LockId l, bool raised) {
  return Emit(EventKind::kLockHeldAtFrameEnd, l, raised ? kFlagRaised : 0);
}

ThreadScript& ThreadScript::Start(Tid child) {
  s_->EnsureThread(child);
  s_->syms_.threads[child].parent = t_;
  Emit(EventKind::kThreadStart, child);
  return *this;
}

ThreadScript& ThreadScript::Join(Tid child) { return Emit(EventKind::kThreadJoin, child); }
ThreadScript& ThreadScript::Exit() { return Emit(EventKind::kThreadExit, 0); }
ThreadScript& ThreadScript::Fork() { return Emit(EventKind::kFork, 0); }
ThreadScript& ThreadScript::EndProcess() { return Emit(EventKind::kProcessEnd, 0); }
ThreadScript& ThreadScript::LoopBlocked(Tid task, uint16_t ms) { return Emit(EventKind::kLoopBlocked, task, 0, ms); }
ThreadScript& ThreadScript::LoopStepEnd(uint64_t us) { return Emit(EventKind::kLoopStepEnd, us); }

ThreadScript& ThreadScript::TaskStep(uint32_t number, const std::string& name) {
  return Emit(EventKind::kTaskStep, number | uint64_t{s_->Intern(name)} << 32);
}
ThreadScript& ThreadScript::NoTask() { return Emit(EventKind::kTaskStep, 0); }
ThreadScript& ThreadScript::TaskGone(uint32_t number) { return Emit(EventKind::kTaskStep, number, kFlagTaskGone); }
ThreadScript& ThreadScript::Read(LocId loc) { return Emit(EventKind::kAccess, loc); }
ThreadScript& ThreadScript::Check(LocId loc) { return Emit(EventKind::kAccess, loc, kFlagReadModifyWrite); }
ThreadScript& ThreadScript::Write(LocId loc) { return Emit(EventKind::kAccess, loc, kFlagWrite); }
ThreadScript& ThreadScript::Update(LocId loc) {
  return Emit(EventKind::kAccess, loc, kFlagWrite | kFlagReadModifyWrite);
}
ThreadScript& ThreadScript::Commuting(LocId loc) { return Emit(EventKind::kAccess, loc, kFlagWrite | kFlagCommutes); }

ThreadScript& ThreadScript::WaitsLock(LockId l) {
  return Emit(EventKind::kDeadlockWait, l, 0, static_cast<uint16_t>(WaitKind::kLock));
}
ThreadScript& ThreadScript::WaitsJoin(Tid t) {
  return Emit(EventKind::kDeadlockWait, t, 0, static_cast<uint16_t>(WaitKind::kJoin));
}
ThreadScript& ThreadScript::WaitsAll() {
  return Emit(EventKind::kDeadlockWait, 0, 0, static_cast<uint16_t>(WaitKind::kJoinAll));
}
ThreadScript& ThreadScript::StackHere() { return Emit(EventKind::kThreadStack, 0); }

ThreadScript& ThreadScript::At(const std::string& file, uint32_t line, const std::string& function) {
  return At({{file, line, function}});
}

ThreadScript& ThreadScript::At(const std::vector<std::tuple<std::string, uint32_t, std::string>>& frames) {
  std::vector<Frame> stack;
  for (const auto& [file, line, function] : frames) {
    stack.push_back(Frame{s_->Intern(file), s_->Intern(function), line});
  }
  StackId id = s_->InternStack(stack);
  Event& last = s_->events_.back();
  last.stack = id;
  // A thread's start site is the stack of the ThreadStart event that names it.
  if (last.kind == EventKind::kThreadStart) s_->syms_.threads[last.obj].start_stack = id;
  return *this;
}

Script::Script() {
  syms_.locks.push_back(LockInfo{LockKind::kGil, 0, kNoStack});  // LockId 0 is the GIL
}

StrId Script::Intern(const std::string& s) {
  auto [it, inserted] = strings_.try_emplace(s, static_cast<StrId>(syms_.strings.size()));
  if (inserted) syms_.strings.push_back(s);
  return it->second;
}

StackId Script::InternStack(const std::vector<Frame>& frames) {
  std::vector<std::tuple<StrId, StrId, uint32_t>> key;
  for (const Frame& f : frames) key.emplace_back(f.file, f.function, f.line);
  auto [it, inserted] = stacks_.try_emplace(key, static_cast<StackId>(syms_.stacks.size()));
  if (inserted) syms_.stacks.push_back(frames);
  return it->second;
}

void Script::EnsureThread(Tid t) {
  while (syms_.threads.size() <= t) {
    Tid n = static_cast<Tid>(syms_.threads.size());
    ThreadInfo info;
    info.name = Intern(n == 0 ? std::string("MainThread") : "Thread-" + std::to_string(n));
    syms_.threads.push_back(info);
  }
}

void Script::Name(Tid t, const std::string& name) {
  EnsureThread(t);
  syms_.threads[t].name = Intern(name);
}

LockId Script::NewLock(const std::string& file, uint32_t line, LockKind kind) {
  if (line == 0) line = 100 + static_cast<uint32_t>(syms_.locks.size());
  return NewLockBy(0, file, line, "<module>", kind);
}

LockId Script::NewLockBy(Tid t, const std::string& file, uint32_t line, const std::string& function,
                         LockKind kind) {
  return NewLockWithStack(t, {{file, line, function}}, kind);
}

LockId Script::NewLockWithStack(Tid t,
                                const std::vector<std::tuple<std::string, uint32_t, std::string>>& frames,
                                LockKind kind) {
  LockId id = static_cast<LockId>(syms_.locks.size());
  std::vector<Frame> stack;
  for (const auto& [file, line, function] : frames) stack.push_back(Frame{Intern(file), Intern(function), line});
  StackId created = InternStack(stack);
  syms_.locks.push_back(LockInfo{kind, t, created});
  T(t).Emit(EventKind::kLockCreate, id, 0, static_cast<uint16_t>(kind));
  events_.back().stack = created;
  return id;
}

LocId Script::NewLocation(const std::string& description, uint64_t object) {
  syms_.locations.push_back(LocationInfo{Intern(description), object});
  return syms_.locations.size() - 1;
}

ThreadScript Script::T(Tid t) {
  EnsureThread(t);
  return ThreadScript(this, t);
}

void Script::NameLock(LockId l, const std::string& name) { syms_.locks.at(l).name = Intern(name); }

void Script::DeadlockBegin() { T(0).Emit(EventKind::kDeadlockBegin, 0); }
void Script::DeadlockEnd() { T(0).Emit(EventKind::kDeadlockEnd, 0); }

std::vector<Finding> Script::Analyze(AnalysisOptions opts) {
  Analyzer analyzer(opts);
  for (const Event& e : events_) analyzer.OnEvent(e, syms_);
  return analyzer.Finish(syms_);
}

std::vector<Finding> Script::AnalyzeAsTrace(AnalysisOptions opts) {
  Analyzer analyzer(opts);
  analyzer.OnHeader(TraceHeader{});
  for (const Event& e : events_) analyzer.OnEvent(e, syms_);
  return analyzer.Finish(syms_);
}

std::vector<Finding> OfKind(const std::vector<Finding>& all, FindingKind kind) {
  std::vector<Finding> out;
  for (const Finding& f : all) {
    if (f.kind == kind) out.push_back(f);
  }
  return out;
}

std::string Primary(const Finding& f) { return f.primary.file + ":" + std::to_string(f.primary.line); }

std::string Titles(const Finding& f) {
  std::string out;
  for (const Section& s : f.sections) out += s.title + "\n";
  return out;
}

}  // namespace pyrace::testing
