#include "runtime/analysis/deadlock_detector.h"

#include <algorithm>
#include <string>

#include "runtime/analysis/describe.h"
#include "runtime/analysis/hold_history.h"

namespace pyrace {

namespace {

using Group = DeadlockDetector::Group;
using Wait = DeadlockDetector::Wait;

struct Scene {
  const Symbols& syms;
  const LockState& state;
  const Group& group;

  const Wait* WaitOf(Tid t) const {
    for (const Wait& w : group.waits) {
      if (w.tid == t) return &w;
    }
    return nullptr;
  }
  Tid HolderOf(const Wait& w) const {
    return w.kind == WaitKind::kLock ? state.Holder(static_cast<LockId>(w.obj)) : kNoTid;
  }
};

// "Thread-7, Thread-8, Thread-9, Thread-10 and 21 more": a hang of many threads at
// one place must stay readable.
std::string Names(const Scene& s, const std::vector<Tid>& tids) {
  constexpr size_t kShown = 4;
  std::string out;
  for (size_t k = 0; k < tids.size() && k < kShown; ++k) {
    if (k > 0) out += k + 1 == tids.size() ? " and " : ", ";
    out += ThreadName(s.syms, tids[k]);
  }
  if (tids.size() > kShown) out += " and " + std::to_string(tids.size() - kShown) + " more";
  return out;
}

std::string WhatItWaitsFor(const Symbols& syms, const Wait& w) {
  switch (w.kind) {
    case WaitKind::kLock: return "lock " + LockLabel(syms, static_cast<LockId>(w.obj));
    case WaitKind::kJoin: return "thread T" + std::to_string(w.obj) + " to finish";
    case WaitKind::kJoinAll: return "every non-daemon thread to finish (interpreter shutdown)";
    case WaitKind::kHandoff: return "hand-off #" + std::to_string(w.obj) + " (queue, event or condition)";
    case WaitKind::kEventLoop:
      return "its asyncio event loop to be woken (no callback, timer, I/O or signal handler is left to do it)";
    case WaitKind::kAwait: return "an asyncio future that nothing left can complete";
  }
  return "?";
}

// The thread a wait depends on: a lock's holder, a joined thread.
Tid WaitTarget(const Scene& s, const Wait& w) {
  if (w.kind == WaitKind::kJoin) return static_cast<Tid>(w.obj);
  return s.HolderOf(w);
}

// A wait inside threading/queue machinery that only another thread's action can end
// (Condition.wait on its waiter lock, Queue.get, Event.wait): names the API the user
// called rather than the internal lock. Empty for an ordinary lock wait.
std::string SignalWait(const Scene& s, const Wait& w, Tid target) {
  std::string api = MachineryApi(s.syms, w.stack);
  if (api.empty()) return "";
  if (w.kind == WaitKind::kHandoff) return api;
  if (w.kind != WaitKind::kLock) return "";
  const LockRecord* rec = s.state.Lock(static_cast<LockId>(w.obj));
  bool signal = rec && (rec->signal || target == w.tid) && rec->kind != LockKind::kRLock;
  return signal ? api : "";
}

// "waits for lock L2 held by Thread-2, which waits for lock L1 held by Thread-1".
// Follows the chain until it closes, reaches an exited or running thread, or a
// self-wait; visited records the threads it named.
std::string Chain(const Scene& s, const Wait& first, std::vector<Tid>& visited) {
  std::string out;
  const Wait* w = &first;
  while (w) {
    visited.push_back(w->tid);
    Tid target = WaitTarget(s, *w);
    if (std::string api = SignalWait(s, *w, target); !api.empty()) {
      return out + "waits in " + api + " at " + ShortLocation(PrimaryLocation(s.syms, w->stack)) +
             " for another thread to notify, set, put or release, and every other thread is stuck";
    }
    if (w->kind == WaitKind::kLock && target == w->tid) {
      return out + "waits for " + WhatItWaitsFor(s.syms, *w) + " that it holds itself";
    }
    if (w->kind == WaitKind::kJoin) {
      out += "waits for " + ThreadName(s.syms, target) + " to finish";
    } else {
      out += "waits for " + WhatItWaitsFor(s.syms, *w);
      if (target != kNoTid) out += " held by " + ThreadName(s.syms, target);
    }
    if (target == kNoTid) return out;
    if (std::find(visited.begin(), visited.end(), target) != visited.end()) return out;
    const Wait* next = s.WaitOf(target);
    if (!next) return out + (s.state.Exited(target) ? ", which has exited" : "");
    out += ", which ";
    w = next;
  }
  return out;
}

std::string Message(const Scene& s) {
  std::vector<Tid> visited;
  const Wait& first = s.group.waits.front();
  std::string msg = "deadlock: " + ThreadName(s.syms, first.tid) + " ";
  if (first.kind == WaitKind::kJoinAll) {
    visited.push_back(first.tid);
    msg += "waits for " + WhatItWaitsFor(s.syms, first);
    if (s.group.waits.size() > 1) {
      const Wait& next = s.group.waits[1];
      msg += ", and " + ThreadName(s.syms, next.tid) + " " + Chain(s, next, visited);
    }
  } else {
    msg += Chain(s, first, visited);
  }
  size_t more = 0;
  for (const Wait& w : s.group.waits) {
    if (std::find(visited.begin(), visited.end(), w.tid) == visited.end()) ++more;
  }
  if (more == 1) msg += "; 1 more thread is stuck";
  if (more > 1) msg += "; " + std::to_string(more) + " more threads are stuck";
  return msg;
}

std::string TargetSuffix(const Scene& s, const Wait& w) {
  Tid target = WaitTarget(s, w);
  if (w.kind != WaitKind::kLock || target == kNoTid) return "";
  if (target == w.tid) return " (held by this thread itself)";
  return " (held by thread " + ThreadLabel(s.syms, target) +
         (s.state.Exited(target) ? ", which has exited)" : ")");
}

void AddHeldSections(const Scene& s, Tid t, Finding& f) {
  for (const HeldLock& h : s.state.Held(t)) {
    f.sections.push_back(StackSection(s.syms, h.acquire_stack, "Lock " + LockLabel(s.syms, h.lock) +
                                      " held by thread " + ThreadLabel(s.syms, t) + ", acquired here:"));
  }
}

// Threads stuck at the same place on the same object are one section: the seed's 29
// threads blocked on one lock must not bury the one that holds it.
void AddStuckSections(const Scene& s, Finding& f) {
  std::vector<bool> shown(s.group.waits.size(), false);
  for (size_t i = 0; i < s.group.waits.size(); ++i) {
    if (shown[i]) continue;
    const Wait& w = s.group.waits[i];
    std::vector<Tid> same;
    for (size_t j = i + 1; j < s.group.waits.size(); ++j) {
      const Wait& o = s.group.waits[j];
      if (shown[j] || o.kind != w.kind || o.obj != w.obj ||
          SiteKey(s.syms, o.stack) != SiteKey(s.syms, w.stack)) {
        continue;
      }
      shown[j] = true;
      same.push_back(o.tid);
    }
    std::string title = "Thread " + ThreadLabel(s.syms, w.tid) + " waits for " + WhatItWaitsFor(s.syms, w) +
                        TargetSuffix(s, w);
    if (!same.empty()) {
      title += ", and so do " + std::to_string(same.size()) + " more threads (" + Names(s, same) + ")";
    }
    f.sections.push_back(StackSection(s.syms, w.stack, title + " here:"));
    AddHeldSections(s, w.tid, f);
    for (Tid t : same) AddHeldSections(s, t, f);
  }
}

// Holders that are not stuck themselves (exited, or running) and the locks' creation.
void AddLockSections(const Scene& s, Finding& f) {
  std::vector<LockId> locks;
  for (const Wait& w : s.group.waits) {
    if (w.kind != WaitKind::kLock) continue;
    LockId l = static_cast<LockId>(w.obj);
    if (std::find(locks.begin(), locks.end(), l) != locks.end()) continue;
    locks.push_back(l);
    Tid holder = s.state.Holder(l);
    if (holder == kNoTid || s.WaitOf(holder)) continue;
    f.sections.push_back(StackSection(s.syms, s.state.Lock(l)->acquire_stack,
                                      "Lock " + LockLabel(s.syms, l) + " was acquired by thread " +
                                          ThreadLabel(s.syms, holder) +
                                          (s.state.Exited(holder) ? ", which has exited," : "") +
                                          " here:"));
  }
  for (LockId l : locks) AddLockCreatedSection(s.syms, l, f);
}

// One edge per waited-on object: "Thread-6, Thread-7 and 23 more -> L1 -> Thread-5 (exited)".
std::string GraphNote(const Scene& s) {
  std::string note = "wait-for graph:";
  std::vector<bool> done(s.group.waits.size(), false);
  for (size_t i = 0; i < s.group.waits.size(); ++i) {
    if (done[i]) continue;
    const Wait& w = s.group.waits[i];
    std::vector<Tid> waiters;
    for (size_t j = i; j < s.group.waits.size(); ++j) {
      const Wait& o = s.group.waits[j];
      if (done[j] || o.kind != w.kind || o.obj != w.obj) continue;
      done[j] = true;
      waiters.push_back(o.tid);
    }
    note += " " + Names(s, waiters) + " -> ";
    note += w.kind == WaitKind::kLock ? LockLabel(s.syms, static_cast<LockId>(w.obj)) : WhatItWaitsFor(s.syms, w);
    Tid target = WaitTarget(s, w);
    if (w.kind == WaitKind::kLock && target != kNoTid) {
      note += " -> " + ThreadName(s.syms, target) + (s.state.Exited(target) ? " (exited)" : "");
    }
    note += ";";
  }
  note.pop_back();
  return note;
}

const char* FixNote(const Scene& s) {
  const Wait& w = s.group.waits.front();
  Tid target = WaitTarget(s, w);
  if (w.kind == WaitKind::kLock && target == w.tid) {
    return "a plain Lock is not re-entrant: do not re-acquire it in the thread (or a signal "
           "handler of the thread) that holds it, or use threading.RLock";
  }
  if (target != kNoTid && s.state.Exited(target)) {
    return "the holder ended without releasing the lock: release it on every path "
           "(`with lock:` or try/finally)";
  }
  // A thread holding the GIL blocks on a C lock whose holder waits for the GIL.
  for (const Wait& x : s.group.waits) {
    if (x.kind == WaitKind::kLock && s.state.Kind(static_cast<LockId>(x.obj), s.syms) == LockKind::kGil) {
      return "a C lock must not be waited for with the GIL held: release the GIL around the blocking "
             "acquire (Py_BEGIN_ALLOW_THREADS ... Py_END_ALLOW_THREADS), or take the GIL before the C lock "
             "everywhere";
    }
  }
  if (w.kind == WaitKind::kAwait) {
    return "each waiting task awaits something only another waiting task would do: complete (or cancel) a "
           "future before awaiting others, or bound the wait (asyncio.timeout, asyncio.wait_for)";
  }
  return "acquire locks in one global order, and do not join a thread while holding a lock it needs";
}

struct GraphBuilder {
  const Scene& s;
  FindingGraph& g;
  std::vector<uint64_t> keys;  // (kind << 32 | id) per node
  std::vector<LockId> locks;   // the lock nodes' ids

  uint32_t Node(GraphNodeKind kind, uint32_t id) {
    const uint64_t key = (uint64_t{static_cast<uint8_t>(kind)} << 32) | id;
    auto it = std::find(keys.begin(), keys.end(), key);
    if (it != keys.end()) return static_cast<uint32_t>(it - keys.begin());
    keys.push_back(key);
    GraphNode n;
    if (kind == GraphNodeKind::kLock) {
      locks.push_back(id);
      n = LockGraphNode(s.syms, id);
    } else {
      n.kind = kind;
      n.id = "T" + std::to_string(id);
      n.name = ThreadName(s.syms, id);
      if (s.state.Exited(id)) n.note = "exited";
    }
    g.nodes.push_back(std::move(n));
    return static_cast<uint32_t>(g.nodes.size() - 1);
  }
  void Edge(uint32_t from, uint32_t to, std::string label, SourceLocation site, bool on_cycle) {
    for (const GraphEdge& e : g.edges) {
      if (e.from == from && e.to == to) return;
    }
    g.edges.push_back(GraphEdge{from, to, std::move(label), std::move(site), on_cycle, -1, {}, {}});
  }
};

// Whether following t's waits (to a lock's holder, a joined thread) comes back to t.
bool OnWaitCycle(const Scene& s, Tid t) {
  Tid at = t;
  for (size_t steps = 0; steps <= s.group.waits.size(); ++steps) {
    const Wait* w = s.WaitOf(at);
    if (w == nullptr) return false;
    at = WaitTarget(s, *w);
    if (at == t) return true;
    if (at == kNoTid) return false;
  }
  return false;
}

// The wait-for graph the GraphNote words: stuck thread -> lock it waits for -> holder,
// thread -> thread it joins; waits on nothing a graph can show (a queue, the loop) are
// a note on the thread.
std::vector<LockId> WaitForGraph(const Scene& s, FindingGraph& g) {
  GraphBuilder b{s, g, {}, {}};
  for (const Wait& w : s.group.waits) {
    const uint32_t from = b.Node(GraphNodeKind::kThread, w.tid);
    const Tid target = WaitTarget(s, w);
    const bool cycle = OnWaitCycle(s, w.tid);
    const SourceLocation at = PrimaryLocation(s.syms, w.stack);
    if (w.kind == WaitKind::kLock) {
      const LockId l = static_cast<LockId>(w.obj);
      const uint32_t lock = b.Node(GraphNodeKind::kLock, l);
      b.Edge(from, lock, "waits at " + ShortLocation(at), at, cycle);
      if (target != kNoTid) {
        const uint32_t holder = b.Node(GraphNodeKind::kThread, target);
        const SourceLocation since = PrimaryLocation(s.syms, s.state.Lock(l)->acquire_stack);
        b.Edge(lock, holder, "held since " + ShortLocation(since), since, cycle);
      }
    } else if (w.kind == WaitKind::kJoin && target != kNoTid) {
      b.Edge(from, b.Node(GraphNodeKind::kThread, target), "joins at " + ShortLocation(at), at, cycle);
    } else {
      GraphNode& n = g.nodes[from];
      if (n.note.empty()) n.note = "waits for " + WhatItWaitsFor(s.syms, w);
    }
  }
  return b.locks;
}

// Lock waits explain a hang; joins, hand-offs and the shutdown join follow from
// them. The report leads with them (keeping the watchdog's order within each kind),
// so "where the first stuck thread waits" is a lock acquire whenever there is one.
int WaitRank(const Wait& w) {
  switch (w.kind) {
    case WaitKind::kLock: return 0;
    case WaitKind::kJoin: return 1;
    case WaitKind::kHandoff: return 2;
    case WaitKind::kAwait: return 1;  // with joins: the runtime orders a loop's tasks
    case WaitKind::kJoinAll: return 3;
    case WaitKind::kEventLoop: return 3;
  }
  return 4;
}

}  // namespace

void DeadlockDetector::OnEvent(const Event& e, const AnalysisContext& ctx) {
  switch (e.kind) {
    case EventKind::kDeadlockBegin:
      group_ = Group{};
      group_.seq = ctx.seq;
      open_ = true;
      break;
    case EventKind::kDeadlockWait:
      if (open_) group_.waits.push_back(Wait{e.tid, static_cast<WaitKind>(e.aux), e.obj, e.stack});
      break;
    case EventKind::kThreadStack:
      if (open_) group_.others.push_back(ThreadAt{e.tid, e.stack});
      break;
    case EventKind::kDeadlockEnd:
      if (open_) Report(ctx, reports_);
      open_ = false;
      break;
    default:
      break;
  }
}

void DeadlockDetector::Report(const AnalysisContext& ctx, FindingSink& sink) {
  if (group_.waits.empty()) return;
  std::stable_sort(group_.waits.begin(), group_.waits.end(),
                   [](const Wait& a, const Wait& b) { return WaitRank(a) < WaitRank(b); });
  Scene s{*ctx.syms, *ctx.locks, group_};
  Finding f;
  f.kind = FindingKind::kDeadlock;
  f.message = Message(s);
  f.primary = PrimaryLocation(s.syms, group_.waits.front().stack);
  AddStuckSections(s, f);
  AddLockSections(s, f);
  for (const ThreadAt& t : group_.others) {
    f.sections.push_back(StackSection(s.syms, t.stack, "Thread " + ThreadLabel(s.syms, t.tid) + " is here:"));
  }
  AddThreadStartedSection(s.syms, group_.waits.front().tid, f);
  f.notes.push_back(GraphNote(s));
  f.notes.push_back(FixNote(s));
  const std::vector<LockId> locks = WaitForGraph(s, f.graph);
  AddLockHolds(s.syms, ctx.holds, locks, f);
  std::vector<std::string> sites;
  for (const Wait& w : group_.waits) sites.push_back(SiteKey(s.syms, w.stack));
  std::sort(sites.begin(), sites.end());
  sites.erase(std::unique(sites.begin(), sites.end()), sites.end());
  std::string key;
  for (const std::string& site : sites) key += site + ";";
  const Finding* added = sink.Add(std::move(f), key, group_.seq);
  if (added != nullptr && ctx.on_deadlock != nullptr) (*ctx.on_deadlock)(*added);
}

// A stream cut inside a group (the process died while the watchdog wrote it) still
// reports what the group had.
void DeadlockDetector::Finish(const AnalysisContext& ctx, FindingSink& sink) {
  if (open_) Report(ctx, reports_);
  open_ = false;
  reports_.MoveTo(sink);
}

}  // namespace pyrace
