#include "runtime/analysis/hold_history.h"

#include <algorithm>

#include "runtime/analysis/describe.h"

namespace pyrace {

void HoldHistory::OnEvent(const Event& e, uint64_t seq, Tid holder_before, const LockState& state) {
  now_us_ = std::max(now_us_, e.time_us);
  now_seq_ = seq;
  if (e.kind != EventKind::kLockAcquired && e.kind != EventKind::kLockRelease) return;
  if (e.obj >= kMaxDenseId) return;
  const LockId l = static_cast<LockId>(e.obj);
  const LockRecord* rec = state.Lock(l);
  const Tid after = rec != nullptr ? rec->holder : kNoTid;
  if (after == holder_before) return;  // re-entry, a release of a lower RLock level
  if (holder_before != kNoTid) End(l, e.time_us, seq);
  if (after != kNoTid && !rec->signal) Begin(l, after, rec->acquire_stack, e.time_us, seq);
}

void HoldHistory::Begin(LockId l, Tid t, StackId stack, uint64_t now, uint64_t seq) {
  if (l >= locks_.size()) locks_.resize(static_cast<size_t>(l) + 1);
  PerLock& p = locks_[l];
  p.open = HoldInterval{t, l, stack, now, now, true, seq, seq};
  p.has_open = true;
}

void HoldHistory::End(LockId l, uint64_t now, uint64_t seq) {
  if (l >= locks_.size() || !locks_[l].has_open) return;
  PerLock& p = locks_[l];
  p.has_open = false;
  HoldInterval h = p.open;
  h.end_us = std::max(now, h.begin_us);
  h.end_seq = seq;
  h.open = false;
  if (p.first.size() < kFirstHolds) {
    if (stored_ >= kMaxStoredHolds) return;
    p.first.push_back(h);
    ++stored_;
  } else if (p.last.size() < kLastHolds) {
    if (stored_ >= kMaxStoredHolds) return;
    p.last.push_back(h);
    ++stored_;
  } else {
    p.last[p.next_last] = h;
    p.next_last = (p.next_last + 1) % kLastHolds;
  }
}

std::vector<HoldInterval> HoldHistory::Of(std::span<const LockId> locks) const {
  std::vector<HoldInterval> out;
  std::vector<LockId> seen;
  for (LockId l : locks) {
    if (l >= locks_.size() || std::find(seen.begin(), seen.end(), l) != seen.end()) continue;
    seen.push_back(l);
    const PerLock& p = locks_[l];
    out.insert(out.end(), p.first.begin(), p.first.end());
    out.insert(out.end(), p.last.begin(), p.last.end());
    if (p.has_open) {
      HoldInterval h = p.open;
      h.end_us = std::max(now_us_, h.begin_us);
      h.end_seq = now_seq_;
      out.push_back(h);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const HoldInterval& a, const HoldInterval& b) {
    return a.begin_us != b.begin_us ? a.begin_us < b.begin_us : a.begin_seq < b.begin_seq;
  });
  return out;
}

void AddLockHolds(const Symbols& syms, const HoldHistory* history, std::span<const LockId> locks, Finding& f) {
  if (history == nullptr) return;
  for (const HoldInterval& h : history->Of(locks)) {
    LockHold out;
    out.thread_id = "T" + std::to_string(h.tid);
    out.thread = ThreadLabel(syms, h.tid);
    out.lock_id = LockName(h.lock);
    out.lock = LockLabel(syms, h.lock);
    out.begin_us = h.begin_us;
    out.end_us = h.end_us;
    out.open = h.open;
    out.begin_seq = h.begin_seq;
    out.end_seq = h.end_seq;
    out.site = PrimaryLocation(syms, h.stack);
    f.holds.push_back(std::move(out));
  }
}

}  // namespace pyrace
