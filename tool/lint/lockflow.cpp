// The lock-state dataflow of one function over the ops its scanner found (op_scan.h).
// Each path state holds which tracked locks are held (and where each was acquired), the
// pending jump of a finally, whether the path is unwinding an exception, and the branch
// tests it assumed: remembering `if x:` lets `if x: lock.acquire() ... if x: lock.release()`
// stay one consistent pair of paths, and `ok = lock.acquire(timeout=1)` ... `if ok:
// lock.release()` likewise.
#include <algorithm>
#include <array>
#include <string_view>

#include "tool/lint/cfg.h"
#include "tool/lint/extract.h"
#include "tool/lint/op_scan.h"

namespace pyrace::lint {
namespace {

constexpr size_t kMaxStates = 24;

// Per tracked lock: `known` once this function acquired or released it on the path
// (before that its state is the caller's business), `held` meaningful only when known,
// `borrowed` when the path released a lock it entered holding (a Condition.wait-like
// release-and-reacquire, where holding it at the exit restores the caller's state).
struct LockPathState {
  uint32_t held = 0;
  uint32_t known = 0;
  uint32_t borrowed = 0;
  uint32_t released = 0;  // the last op on the lock was a release
  int8_t pending = 0;
  int8_t exc = 0;
  std::array<int16_t, kMaxLocks> site{};  // acquire op ordinal per held lock
  std::vector<std::pair<uint32_t, bool>> assume;  // sorted by test id
  bool operator<(const LockPathState& o) const {
    if (held != o.held) return held < o.held;
    if (known != o.known) return known < o.known;
    if (borrowed != o.borrowed) return borrowed < o.borrowed;
    if (released != o.released) return released < o.released;
    if (pending != o.pending) return pending < o.pending;
    if (exc != o.exc) return exc < o.exc;
    if (site != o.site) return site < o.site;
    return assume < o.assume;
  }
  bool operator==(const LockPathState& o) const {
    return held == o.held && known == o.known && borrowed == o.borrowed && released == o.released && pending == o.pending && exc == o.exc && site == o.site && assume == o.assume;
  }
};
using StateSet = std::vector<LockPathState>;

class LockFlow {
 public:
  LockFlow(const Scope& scope, FunctionFacts& out) : s_(scope), src_(*scope.src), out_(out) {}

  void Run(Node body) {
    cfg_ = BuildCfg(src_, body);
    ops_ = ScanOps(s_, cfg_);
    if (cfg_.truncated) return;
    if (locks_.empty()) {
      Reach();  // no acquire/release: held sets are only the with-blocks
    } else {
      Solve();
    }
    if (imprecise_) return;
    Emit();
  }

 private:
  // ---- solving ----------------------------------------------------------------------

  static void Normalize(StateSet& s) {
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
  }

  void Limit(StateSet& s) {
    if (s.size() <= kMaxStates) return;
    for (auto& p : s) p.assume.clear();
    Normalize(s);
    if (s.size() > kMaxStates) {
      imprecise_ = true;
      s.resize(kMaxStates);
    }
  }

  // Applies one op to every path state.
  void ApplyOp(const Op& op, StateSet& states, int16_t ordinal) {
    switch (op.kind) {
      case OpKind::kAcquire:
        for (auto& p : states) {
          p.held |= 1u << op.lock;
          p.known |= 1u << op.lock;
          p.released &= ~(1u << op.lock);
          p.site[op.lock] = ordinal;
        }
        break;
      case OpKind::kAcquireAssign: {
        uint32_t id = op.var_test;
        StateSet next;
        for (auto p : states) {
          LockPathState got = p, failed = p;
          got.held |= 1u << op.lock;
          got.known |= 1u << op.lock;
          got.site[op.lock] = ordinal;
          failed.known |= 1u << op.lock;
          failed.released &= ~(1u << op.lock);
          failed.held &= ~(1u << op.lock);
          failed.site[op.lock] = 0;
          Assume(got, id, true);
          Assume(failed, id, false);
          next.push_back(std::move(got));
          next.push_back(std::move(failed));
        }
        states = std::move(next);
        break;
      }
      case OpKind::kRelease:
        for (auto& p : states) {
          if (!(p.known & (1u << op.lock))) p.borrowed |= 1u << op.lock;
          p.released |= 1u << op.lock;
          p.known |= 1u << op.lock;
          p.held &= ~(1u << op.lock);
          p.site[op.lock] = 0;
        }
        break;
      default:
        break;
    }
  }

  static void Assume(LockPathState& p, uint32_t id, bool v) {
    auto it = std::lower_bound(p.assume.begin(), p.assume.end(), std::make_pair(id, false));
    if (it != p.assume.end() && it->first == id) {
      it->second = v;
    } else {
      p.assume.insert(it, {id, v});
    }
  }

  void Forget(StateSet& states, const std::vector<std::string>& assigned) {
    if (assigned.empty()) return;
    for (auto& p : states) {
      p.assume.erase(std::remove_if(p.assume.begin(), p.assume.end(),
                                    [&](const std::pair<uint32_t, bool>& a) {
                                      for (const auto& tok : test_tokens_[a.first]) {
                                        for (const auto& n : assigned) {
                                          if (tok == n || tok.rfind(n + ".", 0) == 0) return true;
                                        }
                                      }
                                      return false;
                                    }),
                     p.assume.end());
    }
  }

  // The node's effect on its in-states, recording acquire ordinals in op order.
  StateSet Transfer(int id, const StateSet& in) {
    StateSet out = in;
    // An assignment first invalidates what tests said about its target; an
    // `ok = lock.acquire(...)` in the same statement then records the new fact.
    Forget(out, info_[id].assigned);
    for (const Op& op : info_[id].ops) {
      if (op.kind == OpKind::kAcquire || op.kind == OpKind::kAcquireAssign || op.kind == OpKind::kRelease) {
        ApplyOp(op, out, SiteOrdinal(op));
      }
    }
    Normalize(out);
    return out;
  }

  int16_t SiteOrdinal(const Op& op) {
    for (size_t i = 0; i < acquire_sites_.size(); ++i) {
      if (acquire_sites_[i] == op.pos) return static_cast<int16_t>(i + 1);
    }
    return 0;
  }

  // What crosses one edge.
  StateSet Cross(int from, const CfgEdge& e, const StateSet& in, const StateSet& out) {
    const StateSet& src = e.pre ? in : out;
    StateSet r;
    const NodeOps& ni = info_[from];
    for (LockPathState p : src) {
      if (e.need_pending >= 0) {
        if (p.pending != e.need_pending) continue;
        p.pending = 0;
      }
      if (e.set_pending >= 0) p.pending = e.set_pending;
      if (e.set_exc >= 0) p.exc = e.set_exc;
      if (e.pre && e.set_exc == static_cast<int8_t>(ExcTag::kImplicit)) {
        // acquire() itself raised: the lock was not taken.
        for (const Op& op : ni.ops) {
          if (op.kind != OpKind::kAcquire && op.kind != OpKind::kAcquireAssign) continue;
          uint32_t b = 1u << op.lock;
          if (!(p.known & b)) p.known |= b;
        }
        if (ni.test_lock >= 0 && !(p.known & (1u << ni.test_lock))) p.known |= 1u << ni.test_lock;
      }
      if (e.cond != 0) {
        bool truth = e.cond == 1;
        if (ni.test_lock >= 0) {
          bool got = truth == ni.test_positive;
          p.known |= 1u << ni.test_lock;
          if (got) {
            p.held |= 1u << ni.test_lock;
            p.site[ni.test_lock] = SiteOrdinalAt(cfg_.nodes[from].ast);
          } else {
            p.held &= ~(1u << ni.test_lock);
          }
        } else if (ni.test_locked >= 0) {
          uint32_t b = 1u << ni.test_locked;
          if ((truth == ni.test_positive) ? !(p.held & b) && (p.known & b) : (p.held & b) != 0) {
            // The check contradicts what this path knows: not this path.
            if (p.known & b) continue;
          }
          if (truth == ni.test_positive) {
            p.held |= b;
          } else {
            p.held &= ~b;
          }
          p.known |= b;
        } else if (ni.test_id >= 0) {
          bool v = truth == ni.test_positive_id;
          auto it = std::lower_bound(p.assume.begin(), p.assume.end(),
                                     std::make_pair(static_cast<uint32_t>(ni.test_id), false));
          if (it != p.assume.end() && it->first == static_cast<uint32_t>(ni.test_id)) {
            if (it->second != v) continue;  // the other branch of a test already decided
          } else {
            p.assume.insert(it, {static_cast<uint32_t>(ni.test_id), v});
          }
        }
      }
      r.push_back(std::move(p));
    }
    return r;
  }

  int16_t SiteOrdinalAt(Node test) {
    Node t = Unparen(test);
    while (Is<"not_operator">(t)) t = Unparen(Field<"argument">(t));
    Pos pos = src_.PosOf(t);
    for (size_t i = 0; i < acquire_sites_.size(); ++i) {
      if (acquire_sites_[i] == pos) return static_cast<int16_t>(i + 1);
    }
    return 0;
  }

  void Reach() {
    size_t n = cfg_.nodes.size();
    in_.assign(n, {});
    out_states_.assign(n, {});
    std::vector<int> work{cfg_.entry};
    in_[cfg_.entry].push_back(LockPathState{});
    while (!work.empty()) {
      int id = work.back();
      work.pop_back();
      out_states_[id] = in_[id];
      for (const CfgEdge& e : cfg_.nodes[id].succ) {
        if (!in_[e.to].empty()) continue;
        in_[e.to].push_back(LockPathState{});
        work.push_back(e.to);
      }
    }
  }

  void Solve() {
    size_t n = cfg_.nodes.size();
    in_.assign(n, {});
    out_states_.assign(n, {});
    std::vector<bool> queued(n, false);
    std::vector<int> work;
    in_[cfg_.entry].push_back(LockPathState{});
    work.push_back(cfg_.entry);
    queued[cfg_.entry] = true;
    size_t steps = 0;
    while (!work.empty()) {
      if (++steps > 200000) {
        imprecise_ = true;
        return;
      }
      int id = work.back();
      work.pop_back();
      queued[id] = false;
      out_states_[id] = Transfer(id, in_[id]);
      for (const CfgEdge& e : cfg_.nodes[id].succ) {
        StateSet add = Cross(id, e, in_[id], out_states_[id]);
        if (add.empty()) continue;
        StateSet merged = in_[e.to];
        merged.insert(merged.end(), add.begin(), add.end());
        Normalize(merged);
        Limit(merged);
        if (merged != in_[e.to]) {
          in_[e.to] = std::move(merged);
          if (!queued[e.to]) {
            queued[e.to] = true;
            work.push_back(e.to);
          }
        }
      }
    }
  }

  // ---- facts ------------------------------------------------------------------------

  std::vector<Ref> Held(int id, const StateSet& states, size_t with_items) {
    std::vector<Ref> held;
    const CfgNode& n = cfg_.nodes[id];
    for (Node v : n.with_values) held.push_back(s_.RefOf(v));
    // Items before this one in the same with statement are held too.
    if (with_items > 0) {
      size_t k = 0;
      for (uint32_t i = 0; i < NamedCount(n.ast) && k < with_items; ++i) {
        Node it = NamedChild(n.ast, i);
        if (!Is<"with_item">(it)) continue;
        Node v = Field<"value">(it);
        if (Is<"as_pattern">(v)) v = NamedChild(v, 0);
        held.push_back(s_.RefOf(Unparen(v)));
        ++k;
      }
    }
    if (!states.empty()) {
      uint32_t all = ~0u;
      for (const auto& p : states) all &= p.held;
      for (size_t l = 0; l < locks_.size(); ++l) {
        if (all & (1u << l)) held.push_back(locks_[l]);
      }
    }
    std::sort(held.begin(), held.end());
    held.erase(std::unique(held.begin(), held.end()), held.end());
    return held;
  }

  bool AnyWithHolds(int id, const Ref& r) {
    for (Node v : cfg_.nodes[id].with_values) {
      if (s_.RefOf(v) == r) return true;
    }
    return false;
  }

  // Releases of a lock the function did not take on that path: it entered holding it
  // (Condition.wait-like) or hands locks between threads (a turnstile). Either way,
  // holding a lock at the exit or releasing twice is the protocol, not a slip.
  void FindBorrowedReleases() {
    for (size_t id = 0; id < cfg_.nodes.size(); ++id) {
      StateSet states = in_[id];
      for (const Op& op : info_[id].ops) {
        if (op.kind == OpKind::kRelease) {
          for (const auto& p : states) {
            if (!(p.known & (1u << op.lock))) {
              borrowed_any_[op.lock] = true;
              if (p.held & p.known & ~(1u << op.lock)) handoff_protocol_ = true;
            }
          }
        }
        ApplyOp(op, states, SiteOrdinal(op));
      }
    }
    for (size_t l = 0; l < locks_.size(); ++l) {
      if (lock_released_[l] && !lock_acquired_[l]) out_.signal_releases.push_back(locks_[l]);
    }
  }

  void Emit() {
    FindBorrowedReleases();
    for (size_t l = 0; l < locks_.size(); ++l) {
      if (lock_released_[l]) out_.releases.push_back(locks_[l]);
    }
    for (size_t id = 0; id < cfg_.nodes.size(); ++id) {
      const StateSet& in = in_[id];
      if (in.empty()) continue;  // unreachable
      StateSet states = in;
      for (const Op& op : info_[id].ops) EmitOp(static_cast<int>(id), op, states);
      EmitExits(static_cast<int>(id));
    }
    if (!cfg_.nodes.empty()) EmitTestAcquires();
  }

  // acquire() inside an if/while test: a fact like any other acquire.
  void EmitTestAcquires() {
    for (size_t id = 0; id < cfg_.nodes.size(); ++id) {
      const NodeOps& ni = info_[id];
      if (ni.test_lock < 0 || in_[id].empty()) continue;
      AcquireFact f;
      f.ref = locks_[ni.test_lock];
      Node t = Unparen(cfg_.nodes[id].ast);
      while (Is<"not_operator">(t)) t = Unparen(Field<"argument">(t));
      f.pos = src_.PosOf(t);
      f.held = Held(static_cast<int>(id), in_[id], 0);
      f.blocking = false;
      out_.acquires.push_back(std::move(f));
    }
  }

  void EmitOp(int id, const Op& op, StateSet& states) {
    switch (op.kind) {
      case OpKind::kAcquire:
      case OpKind::kAcquireAssign: {
        AcquireFact f;
        f.ref = op.ref;
        f.pos = op.pos;
        f.held = Held(id, states, 0);
        f.blocking = !op.may_fail;
        if (f.blocking) {
          for (const auto& p : states) {
            if (p.held & p.known & (1u << op.lock)) {
              out_.doubles.push_back(DoubleAcquireFact{op.ref, op.pos, SitePos(p.site[op.lock]), false});
              break;
            }
          }
          if (AnyWithHolds(id, op.ref)) out_.doubles.push_back(DoubleAcquireFact{op.ref, op.pos, op.pos, true});
        }
        out_.acquires.push_back(std::move(f));
        break;
      }
      case OpKind::kRelease:
        EmitRelease(id, op, states);
        break;
      case OpKind::kWithAcquire: {
        AcquireFact f;
        f.ref = op.ref;
        f.pos = op.pos;
        f.held = Held(id, states, op.with_index);
        f.via_with = true;
        if (std::find(f.held.begin(), f.held.end(), op.ref) != f.held.end()) {
          out_.doubles.push_back(DoubleAcquireFact{op.ref, op.pos, op.pos, true});
        }
        out_.acquires.push_back(std::move(f));
        break;
      }
      case OpKind::kCall: {
        CallFact f = std::get<CallFact>(op.fact);
        f.held = Held(id, states, 0);
        out_.calls.push_back(std::move(f));
        break;
      }
      case OpKind::kAccess: {
        AccessFact f = std::get<AccessFact>(op.fact);
        f.held = Held(id, states, 0);
        out_.accesses.push_back(std::move(f));
        break;
      }
      case OpKind::kBlocking: {
        BlockingFact f = std::get<BlockingFact>(op.fact);
        f.held = Held(id, states, 0);
        if (!f.held.empty()) out_.blocking.push_back(std::move(f));
        break;
      }
      case OpKind::kCondOp: {
        CondOpFact f = std::get<CondOpFact>(op.fact);
        f.held = Held(id, states, 0);
        out_.cond_ops.push_back(std::move(f));
        break;
      }
      case OpKind::kTarget:
        out_.targets.push_back(std::get<TargetFact>(op.fact));
        break;
    }
    ApplyOp(op, states, SiteOrdinal(op));
  }

  Pos SitePos(int16_t ordinal) const {
    if (ordinal <= 0 || static_cast<size_t>(ordinal) > acquire_sites_.size()) return {};
    return acquire_sites_[ordinal - 1];
  }

  void EmitRelease(int id, const Op& op, const StateSet& states) {
    if (!lock_acquired_[op.lock]) return;  // a release helper: the caller acquired it
    if (AnyWithHolds(id, op.ref)) return;
    if (handoff_protocol_) return;
    bool unheld = false, after_release = true, unknown = false;
    for (const auto& p : states) {
      uint32_t b = 1u << op.lock;
      if ((p.known & b) && !(p.held & b)) {
        unheld = true;
        after_release &= (p.released & b) != 0;
      } else if (!(p.known & b)) {
        unknown = true;
      }
    }
    if (!unheld && !unknown) return;
    UnheldReleaseFact f;
    f.ref = op.ref;
    f.release = op.pos;
    f.after_release = unheld && after_release;
    f.never_acquired_here = !unheld;  // only paths that never touched it: maybe the caller's
    // acquire() inside the try whose finally/except releases: if it raises (or anything
    // before it in the try does), the handler releases a lock that is not held.
    int t = cfg_.nodes[id].try_stmt;
    if (t >= 0) {
      Node body = Field<"body">(cfg_.trys[t].node);
      uint32_t b = body.StartByte(), e = body.EndByte();
      for (size_t i = 0; i < acquire_nodes_.size(); ++i) {
        Node a = cfg_.nodes[acquire_nodes_[i]].stmt;
        if (a.StartByte() >= b && a.EndByte() <= e && SameLockAt(acquire_nodes_[i], op.lock)) {
          f.try_acquire = true;
          f.acquire = acquire_sites_[i];
          break;
        }
      }
    }
    out_.unheld.push_back(std::move(f));
  }

  bool SameLockAt(int node, int lock) const {
    for (const Op& o : info_[node].ops) {
      if ((o.kind == OpKind::kAcquire || o.kind == OpKind::kAcquireAssign) && o.lock == lock) return true;
    }
    return info_[node].test_lock == lock;
  }

  void EmitExits(int id) {
    const CfgNode& n = cfg_.nodes[id];
    for (const CfgEdge& e : n.succ) {
      if (e.to != cfg_.normal_exit && e.to != cfg_.raise_exit) continue;
      StateSet s = Cross(id, e, in_[id], out_states_[id]);
      for (const auto& p : s) {
        for (size_t l = 0; l < locks_.size(); ++l) {
          uint32_t b = 1u << l;
          if (!(p.held & p.known & b) || borrowed_any_[l] || handoff_protocol_) continue;
          MissedReleaseFact f;
          f.ref = locks_[l];
          f.acquire = SitePos(p.site[l]);
          f.function_releases = lock_released_[l];
          f.exit = src_.PosOf(n.stmt);
          if (e.to == cfg_.normal_exit) {
            f.exit_kind = (n.is_return || n.kind == CfgKind::kFinallyExit) ? ExitKind::kReturn : ExitKind::kFallOff;
            if (n.kind == CfgKind::kFinallyExit && p.pending == 0) f.exit_kind = ExitKind::kFallOff;
          } else if (p.exc == static_cast<int8_t>(ExcTag::kExplicit)) {
            f.exit_kind = ExitKind::kRaise;
          } else {
            // An exception from any call: only for locks the function already releases
            // in an except/finally, i.e. where it meant to be exception-safe.
            if (!lock_released_in_handler_[l]) continue;
            f.exit_kind = ExitKind::kImplicitRaise;
          }
          out_.missed.push_back(std::move(f));
        }
      }
    }
  }

  const Scope& s_;
  const Source& src_;
  FunctionFacts& out_;
  Cfg cfg_;
  FunctionOps ops_;
  const std::vector<NodeOps>& info_ = ops_.nodes;
  const std::vector<Ref>& locks_ = ops_.locks;
  const std::array<bool, kMaxLocks>& lock_acquired_ = ops_.lock_acquired;
  const std::array<bool, kMaxLocks>& lock_released_ = ops_.lock_released;
  const std::array<bool, kMaxLocks>& lock_released_in_handler_ = ops_.lock_released_in_handler;
  const std::vector<Pos>& acquire_sites_ = ops_.acquire_sites;
  const std::vector<int>& acquire_nodes_ = ops_.acquire_nodes;
  const std::vector<std::vector<std::string>>& test_tokens_ = ops_.test_tokens;
  std::array<bool, kMaxLocks> borrowed_any_{};
  bool handoff_protocol_ = false;
  std::vector<StateSet> in_, out_states_;
  bool imprecise_ = false;
};

}  // namespace

void AnalyzeFunction(const Scope& scope, Node body, FunctionFacts& out) {
  LockFlow(scope, out).Run(body);
}

}  // namespace pyrace::lint
