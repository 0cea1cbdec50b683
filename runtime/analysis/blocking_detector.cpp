#include "runtime/analysis/blocking_detector.h"

#include <string>

#include "runtime/analysis/describe.h"
#include "runtime/model/machinery.h"

namespace pyrace {

namespace {

// The interpreter's own library (the standard library, site-packages) is where a
// blocking call ends up, not where it was made.
bool IsLibrary(std::string_view file) {
  return file.empty() || file.front() == '<' || IsStdlibFile(file);
}

SourceLocation BlockingSite(const Symbols& syms, StackId stack) {
  for (const Frame& f : syms.stack(stack)) {
    if (!IsLibrary(syms.str(f.file))) return FrameLocation(syms, f);
  }
  return TopLocation(syms, stack);
}

std::string Millis(uint64_t us) { return std::to_string((us + 500) / 1000) + " ms"; }

}  // namespace

void BlockingDetector::OnEvent(const Event& e, const AnalysisContext& ctx) {
  if (e.tid >= kMaxDenseId) return;
  if (e.tid >= open_.size()) open_.resize(static_cast<size_t>(e.tid) + 1);
  Open& o = open_[e.tid];
  if (e.kind == EventKind::kLoopBlocked) {
    o = Open{true, e.obj < kMaxDenseId ? static_cast<Tid>(e.obj) : kNoTid, e.stack, e.aux, ctx.seq};
    return;
  }
  if (!o.active) return;
  Report(e.tid, o, e.obj, true, *ctx.syms);
  o.active = false;
}

void BlockingDetector::Report(Tid loop_thread, const Open& o, uint64_t blocked_us, bool ended,
                              const Symbols& syms) {
  SourceLocation site = BlockingSite(syms, o.stack);
  std::string key = SiteKey(syms, o.stack) + "|" + ShortLocation(site);
  if (reports_.Bump(FindingKind::kBlockingInEventLoop, key)) return;
  std::string who = o.task != kNoTid ? "task " + ThreadName(syms, o.task) : std::string("a callback");
  std::string how_long = ended ? "for " + Millis(blocked_us) : "for at least " + std::to_string(o.sampled_ms) +
                                                                   " ms (still blocked when the run ended)";
  Finding f;
  f.kind = FindingKind::kBlockingInEventLoop;
  f.severity = Severity::kWarning;
  f.primary = site;
  f.message = who + " blocked the event loop of thread " + ThreadName(syms, loop_thread) + " " + how_long;
  if (!site.function.empty()) f.message += " in " + site.function;
  f.message += " at " + ShortLocation(site);
  f.sections.push_back(StackSection(syms, o.stack,
                                    (o.task != kNoTid ? "Task " + ThreadLabel(syms, o.task) : std::string("A callback")) +
                                        " blocking the loop on thread " + ThreadLabel(syms, loop_thread) + ", " +
                                        std::to_string(o.sampled_ms) + " ms into its step:"));
  f.notes.push_back(
      "no other task or callback runs while one step blocks: run blocking work off the loop "
      "(`await asyncio.to_thread(f, ...)`, `loop.run_in_executor(None, f, ...)`) or use an asyncio API "
      "(`await asyncio.sleep`, asyncio streams, an async client)");
  reports_.Add(std::move(f), key, o.seq);
}

void BlockingDetector::Finish(const AnalysisContext& ctx, FindingSink& sink) {
  for (Tid t = 0; t < open_.size(); ++t) {
    if (open_[t].active) Report(t, open_[t], 0, false, *ctx.syms);
    open_[t].active = false;
  }
  reports_.MoveTo(sink);
}

}  // namespace pyrace
