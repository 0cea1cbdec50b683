#include "runtime/analysis/wait_for.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace pyrace::wait_for {

const char* ReasonText(Reason r) {
  switch (r) {
    case Reason::kNone: return "none";
    case Reason::kCycle: return "threads wait on each other";
    case Reason::kRLockOwnerExited: return "waiting on an RLock whose owner thread has exited";
    case Reason::kLockHolderExited: return "waiting on a lock whose holder thread has exited";
    case Reason::kSelfWait: return "waiting on a lock the thread holds itself";
    case Reason::kAllBlocked: return "every live thread is blocked";
  }
  return "unknown";
}

namespace {

class Solver {
 public:
  Solver(const Snapshot& snap, uint64_t grace_us) : snap_(snap) {
    for (const LockSnapshot& l : snap.locks) locks_[l.id] = &l;
    for (const ThreadSnapshot& t : snap.threads) {
      live_.insert(t.tid);
      bool blocked = t.waiting && !t.timed && snap.now_us >= t.since_us &&
                     snap.now_us - t.since_us >= grace_us;
      if (blocked) stuck_.insert(t.tid);
    }
  }

  Verdict Run() {
    // Greatest fixpoint: drop every thread something could still free, until stable.
    bool changed = true;
    while (changed) {
      changed = false;
      for (const ThreadSnapshot& t : snap_.threads) {
        if (stuck_.count(t.tid) != 0 && !StaysStuck(t)) {
          stuck_.erase(t.tid);
          changed = true;
        }
      }
    }
    Verdict v;
    if (stuck_.empty()) return v;
    v.cycle = FindCycle();
    v.reason = Explain(v.cycle);
    v.stuck = Order(v.cycle);
    return v;
  }

 private:
  bool IsStuck(Tid t) const { return stuck_.count(t) != 0; }
  bool IsLive(Tid t) const { return live_.count(t) != 0; }

  // Every live thread other than t (and, for JoinAll, other than daemons) is stuck.
  bool AllOthersStuck(Tid t, bool ignore_daemons) const {
    if (snap_.unknown_running > 0) return false;
    for (const ThreadSnapshot& o : snap_.threads) {
      if (o.tid == t || (ignore_daemons && o.daemon)) continue;
      if (!IsStuck(o.tid)) return false;
    }
    return true;
  }

  const LockSnapshot* Lock(uint64_t id) const {
    auto it = locks_.find(static_cast<LockId>(id));
    return it == locks_.end() ? nullptr : it->second;
  }

  bool StaysStuck(const ThreadSnapshot& t) const {
    switch (t.kind) {
      case WaitKind::kLock: {
        const LockSnapshot* l = Lock(t.obj);
        if (l == nullptr || !l->held) return false;  // being handed over right now
        bool holder_live = IsLive(l->holder);
        // Only a live holder releases the GIL; one the snapshot does not list is not
        // known to be stuck.
        if (l->kind == LockKind::kGil) return l->holder == t.tid || (holder_live && IsStuck(l->holder));
        if (l->kind == LockKind::kRLock) {
          if (l->holder == t.tid) return false;  // re-entry never blocks
          return holder_live ? IsStuck(l->holder) : true;
        }
        if (holder_live && l->holder != t.tid) return IsStuck(l->holder);
        return AllOthersStuck(t.tid, false);
      }
      case WaitKind::kJoin: {
        Tid target = static_cast<Tid>(t.obj);
        if (!IsLive(target)) return false;  // finishing right now
        return IsStuck(target);
      }
      case WaitKind::kJoinAll:
        return AllOthersStuck(t.tid, /*ignore_daemons=*/true);
      case WaitKind::kHandoff:
        return AllOthersStuck(t.tid, false);
    }
    return false;
  }

  // The thread whose release/exit t waits for, when that is one definite live thread.
  Tid Next(const ThreadSnapshot& t) const {
    if (t.kind == WaitKind::kLock) {
      const LockSnapshot* l = Lock(t.obj);
      if (l != nullptr && l->held && l->holder != t.tid && IsLive(l->holder)) return l->holder;
    } else if (t.kind == WaitKind::kJoin) {
      return static_cast<Tid>(t.obj);
    }
    return kNoTid;
  }

  const ThreadSnapshot* Thread(Tid tid) const {
    for (const ThreadSnapshot& t : snap_.threads) {
      if (t.tid == tid) return &t;
    }
    return nullptr;
  }

  // A cycle among stuck threads following "waits for", starting at its lowest tid.
  std::vector<Tid> FindCycle() const {
    std::vector<Tid> order(stuck_.begin(), stuck_.end());
    std::sort(order.begin(), order.end());
    for (Tid start : order) {
      std::vector<Tid> path;
      std::unordered_set<Tid> on_path;
      Tid cur = start;
      while (cur != kNoTid && IsStuck(cur) && on_path.count(cur) == 0) {
        path.push_back(cur);
        on_path.insert(cur);
        const ThreadSnapshot* t = Thread(cur);
        cur = t != nullptr ? Next(*t) : kNoTid;
      }
      if (cur == kNoTid || on_path.count(cur) == 0) continue;
      auto begin = std::find(path.begin(), path.end(), cur);
      std::vector<Tid> cycle(begin, path.end());
      if (cycle.size() < 2) continue;
      std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
      return cycle;
    }
    return {};
  }

  Reason Explain(const std::vector<Tid>& cycle) const {
    if (!cycle.empty()) return Reason::kCycle;
    Reason best = Reason::kAllBlocked;
    for (Tid tid : stuck_) {
      const ThreadSnapshot* t = Thread(tid);
      if (t == nullptr || t->kind != WaitKind::kLock) continue;
      const LockSnapshot* l = Lock(t->obj);
      if (l == nullptr) continue;
      if (l->kind == LockKind::kGil && l->holder == tid) return Reason::kSelfWait;
      if (!IsLive(l->holder)) {
        if (l->kind == LockKind::kRLock) return Reason::kRLockOwnerExited;
        best = Reason::kLockHolderExited;
      } else if (l->holder == tid && best == Reason::kAllBlocked) {
        best = Reason::kSelfWait;
      }
    }
    return best;
  }

  int Rank(const ThreadSnapshot& t) const {
    if (t.kind != WaitKind::kLock) return t.kind == WaitKind::kJoin ? 3 : 4;
    const LockSnapshot* l = Lock(t.obj);
    if (l != nullptr && !IsLive(l->holder)) return 1;  // the root of the hang
    return 2;
  }

  std::vector<Tid> Order(const std::vector<Tid>& cycle) const {
    std::vector<Tid> rest;
    for (Tid tid : stuck_) {
      if (std::find(cycle.begin(), cycle.end(), tid) == cycle.end()) rest.push_back(tid);
    }
    std::sort(rest.begin(), rest.end(), [this](Tid a, Tid b) {
      int ra = Rank(*Thread(a));
      int rb = Rank(*Thread(b));
      return ra != rb ? ra < rb : a < b;
    });
    std::vector<Tid> out = cycle;
    out.insert(out.end(), rest.begin(), rest.end());
    return out;
  }

  const Snapshot& snap_;
  std::unordered_map<LockId, const LockSnapshot*> locks_;
  std::unordered_set<Tid> live_;
  std::unordered_set<Tid> stuck_;
};

}  // namespace

Verdict Analyze(const Snapshot& snap, uint64_t grace_us) { return Solver(snap, grace_us).Run(); }

}  // namespace pyrace::wait_for
