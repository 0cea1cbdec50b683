#include "runtime/analysis/fork_detector.h"

#include "runtime/analysis/describe.h"
#include "runtime/model/machinery.h"

namespace pyrace {

namespace {

// logging re-initialises its module lock and every handler's lock in the child
// (logging/__init__.py registers _after_at_fork_child_reinit_locks): a fork while
// another thread logs is safe for those.
bool ReinitialisedInChild(const Symbols& syms, LockId l) {
  if (IsMachineryModuleLock(syms, l)) return true;
  for (const Frame& f : syms.stack(LockCreateStack(syms, l))) {
    std::string_view file = syms.str(f.file);
    if (IsStdlibFile(file) && file.ends_with("/logging/__init__.py")) return true;
  }
  return false;
}

// Where the user's code forked: multiprocessing's fork start method (Process.start ->
// Popen._launch -> os.fork) and ProcessPoolExecutor fork inside the standard library;
// the finding points at the user's call into them.
SourceLocation ForkSite(const Symbols& syms, StackId stack) {
  for (const Frame& f : syms.stack(stack)) {
    std::string_view file = syms.str(f.file);
    bool process_machinery = IsStdlibFile(file) && (file.find("/multiprocessing/") != std::string_view::npos ||
                                                    file.ends_with("/concurrent/futures/process.py"));
    if (!process_machinery && !IsSyncMachinery(file)) return FrameLocation(syms, f);
  }
  return PrimaryLocation(syms, stack);
}

}  // namespace

void ForkDetector::OnEvent(const Event& e, const AnalysisContext& ctx) {
  const Symbols& syms = *ctx.syms;
  const LockState& state = *ctx.locks;
  for (LockId l = 0; l < state.lock_count(); ++l) {
    const LockRecord* rec = state.Lock(l);
    if (rec->holder == kNoTid || rec->holder == e.tid || rec->signal) continue;
    LockKind kind = state.Kind(l, syms);
    if (kind == LockKind::kGil || kind == LockKind::kJoinSentinel) continue;
    if (ReinitialisedInChild(syms, l)) continue;
    const SourceLocation site = ForkSite(syms, e.stack);
    std::string key = site.file + ":" + std::to_string(site.line) + "|" + SiteKey(syms, LockCreateStack(syms, l)) + "|" +
                      SiteKey(syms, rec->acquire_stack);
    if (reports_.Bump(FindingKind::kForkWithHeldLock, key)) continue;
    const Tid holder = rec->holder;
    const bool exited = state.Exited(holder);
    Finding f;
    f.kind = FindingKind::kForkWithHeldLock;
    f.severity = Severity::kError;
    f.message = "fork-with-held-lock: " + ThreadName(syms, e.tid) + " forks while " + LockDescription(syms, l) +
                " is held by " + ThreadName(syms, holder) + (exited ? " (which has exited)" : "") +
                ": the child inherits it locked and has no thread that could release it";
    f.primary = site;
    f.sections.push_back(StackSection(syms, e.stack, "Fork by thread " + ThreadLabel(syms, e.tid) + ":"));
    f.sections.push_back(StackSection(syms, rec->acquire_stack,
                                      "Lock " + LockLabel(syms, l) + " acquired here by thread " +
                                          ThreadLabel(syms, holder) + ", which holds it at the fork:"));
    AddLockCreatedSection(syms, l, f);
    AddThreadStartedSection(syms, holder, f);
    f.notes.push_back("acquire " + LockLabel(syms, l) +
                      " around the fork (os.register_at_fork(before=lock.acquire, after_in_parent=lock.release, "
                      "after_in_child=lock.release)), fork before starting threads, or use the spawn or "
                      "forkserver start method");
    reports_.Add(std::move(f), key, ctx.seq);
  }
}

void ForkDetector::Finish(const AnalysisContext& /*ctx*/, FindingSink& sink) { reports_.MoveTo(sink); }

}  // namespace pyrace
