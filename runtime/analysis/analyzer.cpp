// The Analyzer is only a driver: it hands each event to the detectors that asked for
// its kind (with the lock state as it was before the event), then applies the event to
// the shared state; at the end it collects their findings into one sink.
#include "runtime/analysis/analyzer.h"

#include <array>

#include "runtime/analysis/await_race_detector.h"
#include "runtime/analysis/bad_release_detector.h"
#include "runtime/analysis/blocking_detector.h"
#include "runtime/analysis/deadlock_detector.h"
#include "runtime/analysis/gil_not_held_detector.h"
#include "runtime/analysis/hold_history.h"
#include "runtime/analysis/detector.h"
#include "runtime/analysis/fork_detector.h"
#include "runtime/analysis/lock_order_detector.h"
#include "runtime/analysis/missed_release_detector.h"

namespace pyrace {

namespace {
constexpr size_t kDispatchKinds = 64;  // EventBit() covers kinds 0..63

// Detectors index per-thread and per-lock state by dense id. A damaged or hostile trace
// can carry any 32/64-bit value there; such an event cannot belong to a real run, so it
// is dropped here once instead of every detector guarding its own vectors.
bool HasUsableIds(const Event& e) {
  if (e.tid >= kMaxDenseId) return false;
  switch (e.kind) {
    case EventKind::kThreadStart:
    case EventKind::kThreadJoin:
    case EventKind::kLockCreate:
    case EventKind::kLockAcquired:
    case EventKind::kLockTryFailed:
    case EventKind::kLockRelease:
    case EventKind::kLockHeldAtFrameEnd:
      return e.obj < kMaxDenseId;
    default:
      return true;
  }
}
}  // namespace

struct Analyzer::Impl {
  AnalysisOptions opts;
  LockState state;
  std::unique_ptr<HoldHistory> holds;  // under opts.hold_timeline
  std::vector<std::unique_ptr<Detector>> detectors;
  std::array<std::vector<Detector*>, kDispatchKinds> by_kind;
  uint64_t seq = 0;
  bool finished = false;
  std::vector<Finding> findings;  // Finish's result, handed out again on later calls
  const LockOrderDetector* lock_order = nullptr;

  explicit Impl(const AnalysisOptions& o) : opts(o) {
    if (opts.hold_timeline) holds = std::make_unique<HoldHistory>();
    if (opts.deadlocks) {
      auto lock_order_detector = std::make_unique<LockOrderDetector>(opts);
      lock_order = lock_order_detector.get();
      detectors.push_back(std::move(lock_order_detector));
      detectors.push_back(std::make_unique<DeadlockDetector>());
      detectors.push_back(std::make_unique<MissedReleaseDetector>());
      detectors.push_back(std::make_unique<BadReleaseDetector>());
      detectors.push_back(std::make_unique<GilNotHeldDetector>());
      detectors.push_back(std::make_unique<BlockingDetector>());
      detectors.push_back(std::make_unique<ForkDetector>());
    }
    if (opts.races) {
      detectors.push_back(MakeRaceDetector(opts));
      detectors.push_back(std::make_unique<AwaitRaceDetector>());
    }
    for (const auto& d : detectors) {
      uint64_t mask = d->InterestMask();
      for (size_t k = 0; k < kDispatchKinds; ++k) {
        if (mask & (uint64_t{1} << k)) by_kind[k].push_back(d.get());
      }
    }
  }

  std::function<void(const Finding&)> on_deadlock;
  AnalysisContext Context(const Symbols& syms) const {
    return AnalysisContext{&syms, &state, &opts, seq, on_deadlock ? &on_deadlock : nullptr, holds.get()};
  }
};

Analyzer::Analyzer(const AnalysisOptions& opts) : impl_(std::make_unique<Impl>(opts)) {}

void Analyzer::OnDeadlock(std::function<void(const Finding&)> listener) {
  impl_->on_deadlock = std::move(listener);
}

Analyzer::~Analyzer() = default;

void Analyzer::OnEvent(const Event& e, const Symbols& syms) {
  Impl& im = *impl_;
  if (!HasUsableIds(e)) return;
  size_t kind = static_cast<size_t>(e.kind);
  if (kind < kDispatchKinds && !im.by_kind[kind].empty()) {
    AnalysisContext ctx = im.Context(syms);
    for (Detector* d : im.by_kind[kind]) d->OnEvent(e, ctx);
  }
  if (im.holds) {
    const Tid before = e.obj < kMaxDenseId ? im.state.Holder(static_cast<LockId>(e.obj)) : kNoTid;
    im.state.Apply(e, im.seq, syms);
    im.holds->OnEvent(e, im.seq, before, im.state);
  } else {
    im.state.Apply(e, im.seq, syms);
  }
  ++im.seq;
}

void Analyzer::OnHeader(const TraceHeader& header) {
  if (header.version_major > 2 || (header.version_major == 2 && header.version_minor >= 1)) {
    impl_->state.ExpectProcessEnd();
  }
}

const LockGraph* Analyzer::lock_graph() const {
  return impl_->lock_order ? &impl_->lock_order->graph() : nullptr;
}

// Detectors hand their findings over once; a second call returns the same list.
std::vector<Finding> Analyzer::Finish(const Symbols& syms) {
  Impl& im = *impl_;
  if (!im.finished) {
    FindingSink sink;
    AnalysisContext ctx = im.Context(syms);
    for (const auto& d : im.detectors) d->Finish(ctx, sink);
    im.findings = sink.Take(im.opts.max_findings);
    im.finished = true;
  }
  return im.findings;
}

}  // namespace pyrace
