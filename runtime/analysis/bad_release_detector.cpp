#include "runtime/analysis/bad_release_detector.h"

#include "runtime/analysis/describe.h"

namespace pyrace {

namespace {

bool IsRLock(LockKind k) { return k == LockKind::kRLock; }

std::string Message(const Symbols& syms, LockId l, LockKind kind, Tid releaser, Tid owner) {
  std::string lock = (IsRLock(kind) ? "RLock " : "lock ") + LockDescription(syms, l);
  std::string who = ThreadName(syms, releaser);
  if (owner == kNoTid) return lock + " released by " + who + " while it was not " +
                              (IsRLock(kind) ? "acquired" : "locked");
  if (owner == releaser) return "release of " + lock + " by " + who + " failed";
  return lock + " released by " + who + ", but it is owned by " + ThreadName(syms, owner);
}

const char* Note(LockKind kind) {
  return IsRLock(kind)
             ? "an RLock may only be released by the thread that acquired it; use a plain "
               "threading.Lock to hand a lock over to another thread"
             : "release a lock once per acquire, after acquiring it; `with lock:` pairs them";
}

}  // namespace

void BadReleaseDetector::OnEvent(const Event& e, const AnalysisContext& ctx) {
  if (e.obj >= kMaxDenseId || (e.flags & kFlagFreed)) return;
  LockId l = static_cast<LockId>(e.obj);
  const LockState& state = *ctx.locks;
  LockKind kind = state.Kind(l, *ctx.syms);
  Tid owner = state.Holder(l);
  bool refused = (e.flags & kFlagError) != 0;
  bool foreign_rlock = IsRLock(kind) && owner != kNoTid && owner != e.tid;
  if (!refused && !foreign_rlock) return;

  std::string key = SiteKey(*ctx.syms, e.stack) + (foreign_rlock ? "|foreign" : "|unheld");
  if (!reports_.Bump(FindingKind::kBadRelease, key)) reports_.Add(Build(e, ctx, owner), key, ctx.seq);
}

Finding BadReleaseDetector::Build(const Event& e, const AnalysisContext& ctx, Tid owner) const {
  const Symbols& syms = *ctx.syms;
  LockId l = static_cast<LockId>(e.obj);
  LockKind kind = ctx.locks->Kind(l, syms);
  Finding f;
  f.kind = FindingKind::kBadRelease;
  f.message = Message(syms, l, kind, e.tid, owner);
  f.primary = PrimaryLocation(syms, e.stack);
  f.sections.push_back(StackSection(syms, e.stack, "Release of " + LockLabel(syms, l) + " by thread " +
                                                       ThreadLabel(syms, e.tid) + ":"));
  if (owner != kNoTid && owner != e.tid) {
    const LockRecord* rec = ctx.locks->Lock(l);
    f.sections.push_back(StackSection(syms, rec->acquire_stack, LockLabel(syms, l) + " was acquired by thread " +
                                                                    ThreadLabel(syms, owner) + " here:"));
  }
  AddLockCreatedSection(syms, l, f);
  AddThreadStartedSection(syms, e.tid, f);
  f.notes.push_back(Note(kind));
  return f;
}

void BadReleaseDetector::Finish(const AnalysisContext&, FindingSink& sink) { reports_.MoveTo(sink); }

}  // namespace pyrace
