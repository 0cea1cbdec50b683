#include "runtime/analysis/missed_release_detector.h"

#include "runtime/analysis/describe.h"

namespace pyrace {

namespace {

constexpr const char* kFixNote =
    "release the lock on every path: use `with lock:` or try/finally instead of "
    "acquire()/release()";

// "lock L1 acquired in get_value at seed.py:12": the part both messages share.
std::string AcquiredPart(const Symbols& syms, LockId l, StackId acquire_stack) {
  std::string out = "lock " + LockDescription(syms, l);
  SourceLocation at = PrimaryLocation(syms, acquire_stack);
  if (at.file.empty()) return out;
  if (!at.function.empty()) out += " acquired in " + at.function;
  return out + " at " + ShortLocation(at);
}

}  // namespace

void MissedReleaseDetector::OnEvent(const Event& e, const AnalysisContext& ctx) {
  if (e.obj >= kMaxDenseId) return;
  if (e.kind == EventKind::kLockHeldAtFrameEnd) {
    OnFrameEnd(e, ctx);
  } else {
    OnRelease(e, ctx);
  }
}

// A lock API implemented in Python (threading's _RLock.acquire, Condition.__enter__,
// Semaphore) returns holding the lock by design: its frame ending says nothing about
// the user's code. If the user never releases it, the thread-end check reports it.
void MissedReleaseDetector::OnFrameEnd(const Event& e, const AnalysisContext& ctx) {
  const std::vector<Frame>& ended = ctx.syms->stack(e.stack);
  if (!ended.empty() && IsSyncMachinery(ctx.syms->str(ended.front().file))) return;
  LockId l = static_cast<LockId>(e.obj);
  const LockState& state = *ctx.locks;
  const LockRecord* rec = state.Lock(l);
  Candidate c;
  c.tid = e.tid;
  c.lock = l;
  c.end_stack = e.stack;
  c.raised = (e.flags & kFlagRaised) != 0;
  c.seq = ctx.seq;
  if (const HeldLock* h = state.FindHeld(e.tid, l)) {
    c.acquire_stack = h->acquire_stack;
    c.acquire_seq = h->seq;
  } else if (rec && rec->holder != kNoTid) {
    c.acquire_stack = rec->acquire_stack;
    c.acquire_seq = rec->acquire_seq;
  }
  c.pending = true;
  if (l >= candidates_.size()) candidates_.resize(static_cast<size_t>(l) + 1);
  Candidate& slot = candidates_[l];
  // The recorder promises one event per acquisition; a repeat changes nothing.
  if (slot.pending && slot.acquire_seq == c.acquire_seq) return;
  slot = c;
}

// Only a release that frees the lock ends the hold: an RLock's inner release (level
// 2 -> 1) leaves it held by the same activation's caller chain.
void MissedReleaseDetector::OnRelease(const Event& e, const AnalysisContext&) {
  LockId l = static_cast<LockId>(e.obj);
  // A lock freed while held was never released: it stays a missed release.
  if (l >= candidates_.size() || (e.flags & (kFlagError | kFlagReentrant | kFlagFreed))) return;
  candidates_[l].pending = false;
}

bool MissedReleaseDetector::Covered(LockId l, uint64_t acquire_seq) const {
  return l < candidates_.size() && candidates_[l].pending && candidates_[l].acquire_seq == acquire_seq;
}

void MissedReleaseDetector::Finish(const AnalysisContext& ctx, FindingSink& sink) {
  const Symbols& syms = *ctx.syms;
  const LockState& state = *ctx.locks;
  // A lock that turned out to be a signal (handed over, waited on by its holder) was
  // never a missed release, whenever that became clear. In a process killed by a signal
  // the release may have been on its way (a finally the kill cut off): only a thread
  // that ended, or a process that ended by its own doing, shows a lock left held.
  for (const Candidate& c : candidates_) {
    const LockRecord* rec = state.Lock(c.lock);
    if (c.pending && !(rec && rec->signal) && (state.EndedNormally() || state.Exited(c.tid))) {
      ReportFrameEnd(c, syms, sink);
    }
  }
  for (LockId l = 0; l < state.lock_count(); ++l) {
    const LockRecord* rec = state.Lock(l);
    if (rec->holder == kNoTid || rec->signal || !state.Exited(rec->holder) ||
        Covered(l, rec->acquire_seq)) {
      continue;
    }
    ReportThreadEnded(l, state, syms, sink);
  }
}

// The ended activation's callers are those of its acquire: they cannot have moved while
// it ran. The runtime may notice the end only later (at thread exit), when its stack's
// caller lines have moved on to cleanup code, so the callers come from the acquire stack.
Section MissedReleaseDetector::EndSection(const Symbols& syms, const Candidate& c, std::string title) {
  Section end = StackSection(syms, c.end_stack, std::move(title));
  Section acquire = StackSection(syms, c.acquire_stack, "");
  if (end.frames.empty() || acquire.frames.empty()) return end;
  const SourceLocation& top = end.frames.front();
  if (top.file != acquire.frames.front().file || top.function != acquire.frames.front().function) return end;
  end.frames.resize(1);
  end.frames.insert(end.frames.end(), acquire.frames.begin() + 1, acquire.frames.end());
  return end;
}

void MissedReleaseDetector::ReportFrameEnd(const Candidate& c, const Symbols& syms,
                                           FindingSink& sink) const {
  SourceLocation end = TopLocation(syms, c.end_stack);
  std::string function = end.function.empty() ? std::string("the function") : end.function;
  const char* verb = c.raised ? " raised" : " returned";
  Finding f;
  f.kind = FindingKind::kMissedRelease;
  f.message = AcquiredPart(syms, c.lock, c.acquire_stack) + " is still held: " + function + verb +
              " at " + ShortLocation(end) + " without releasing it";
  f.primary = c.acquire_stack != kNoStack ? PrimaryLocation(syms, c.acquire_stack) : end;
  if (c.acquire_stack != kNoStack) {
    f.sections.push_back(StackSection(syms, c.acquire_stack, "Lock " + LockLabel(syms, c.lock) +
                                      " acquired here by thread " + ThreadLabel(syms, c.tid) + ":"));
  }
  f.sections.push_back(EndSection(syms, c, function + verb + " here still holding " + LockLabel(syms, c.lock) + ":"));
  AddLockCreatedSection(syms, c.lock, f);
  AddThreadStartedSection(syms, c.tid, f);
  f.notes.push_back(kFixNote);
  sink.Add(std::move(f), SiteKey(syms, c.acquire_stack) + "|" + SiteKey(syms, c.end_stack), c.seq);
}

void MissedReleaseDetector::ReportThreadEnded(LockId l, const LockState& state,
                                              const Symbols& syms, FindingSink& sink) const {
  const LockRecord* rec = state.Lock(l);
  Finding f;
  f.kind = FindingKind::kMissedRelease;
  f.message = AcquiredPart(syms, l, rec->acquire_stack) + " is still held: thread " +
              ThreadLabel(syms, rec->holder) + " ended without releasing it";
  f.primary = PrimaryLocation(syms, rec->acquire_stack);
  f.sections.push_back(StackSection(syms, rec->acquire_stack, "Lock " + LockLabel(syms, l) +
                                    " acquired here by thread " + ThreadLabel(syms, rec->holder) + ":"));
  AddLockCreatedSection(syms, l, f);
  AddThreadStartedSection(syms, rec->holder, f);
  f.notes.push_back(kFixNote);
  sink.Add(std::move(f), SiteKey(syms, rec->acquire_stack) + "|thread-end", rec->acquire_seq);
}

}  // namespace pyrace
