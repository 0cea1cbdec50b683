#include "runtime/analysis/lock_order_detector.h"

#include <algorithm>

#include "runtime/analysis/cycle_search.h"
#include "runtime/analysis/describe.h"
#include "runtime/analysis/hold_history.h"

namespace pyrace {

namespace {

struct CycleView {
  const LockGraph& g;
  const LockCycle& cycle;
  const EdgeTaker& taker(size_t i) const { return g.edges()[cycle.edges[i]].takers[cycle.takers[i]]; }
  size_t size() const { return cycle.edges.size(); }
};

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
    out += names[i];
  }
  return out;
}

std::string Message(const Symbols& syms, const CycleView& c, CycleScope scope) {
  const std::string title =
      scope == CycleScope::kAcrossProcesses ? "lock-order inversion across processes: " : "lock-order inversion: ";
  std::vector<std::string> threads;
  for (size_t i = 0; i < c.size(); ++i) threads.push_back(ThreadName(syms, c.taker(i).tid));
  if (c.size() == 2) {
    return title + LockDescription(syms, c.taker(0).from_lock) + " and " +
           LockDescription(syms, c.taker(0).to_lock) + " are taken in opposite orders by " +
           JoinNames(threads);
  }
  std::string cycle;
  for (size_t i = 0; i < c.size(); ++i) cycle += LockDescription(syms, c.taker(i).from_lock) + " -> ";
  cycle += LockLabel(syms, c.taker(0).from_lock);
  return title + "the locks " + cycle + " form a cycle taken by " + JoinNames(threads);
}

std::string Note(const Symbols& syms, const CycleView& c) {
  std::vector<std::string> locks;
  for (size_t i = 0; i < c.size(); ++i) locks.push_back(LockLabel(syms, c.taker(i).from_lock));
  if (c.size() == 2) {
    return "always acquire " + locks[0] + " before " + locks[1] + " (or " + locks[1] + " before " +
           locks[0] + ") everywhere, or guard both with one common lock";
  }
  return "acquire " + JoinNames(locks) +
         " in one global order everywhere, or guard them with one common lock";
}

std::string HeldList(const Symbols& syms, const EdgeTaker& t) {
  std::string out = LockLabel(syms, t.from_lock);
  for (LockId l : t.also_held) out += ", " + LockLabel(syms, l);
  return out;
}

void AddEdgeSections(const Symbols& syms, const EdgeTaker& t, Finding& f) {
  std::string title = "Lock " + LockLabel(syms, t.to_lock) + " acquired here while holding " +
                      HeldList(syms, t) + " by thread " + ThreadLabel(syms, t.tid);
  if (t.timed) title += " (with timeout)";
  f.sections.push_back(StackSection(syms, t.to_stack, title + ":"));
  f.sections.push_back(StackSection(syms, t.from_stack, LockLabel(syms, t.from_lock) + " was acquired here:"));
}

// The set of (outer acquire site, inner acquire site) pairs of the edges: the same
// cycle over other lock instances, or a longer cycle through the same code (transfers
// between many accounts), counts as a repeat of one finding.
std::string DedupKey(const Symbols& syms, const CycleView& c) {
  std::vector<std::string> sites;
  for (size_t i = 0; i < c.size(); ++i) {
    sites.push_back(SiteKey(syms, c.taker(i).from_stack) + ">" + SiteKey(syms, c.taker(i).to_stack));
  }
  std::sort(sites.begin(), sites.end());
  sites.erase(std::unique(sites.begin(), sites.end()), sites.end());
  std::string key;
  for (const std::string& s : sites) key += s + ";";
  return key;
}

uint32_t LockNode(const Symbols& syms, LockId l, std::vector<LockId>& ids, FindingGraph& g) {
  auto it = std::find(ids.begin(), ids.end(), l);
  if (it != ids.end()) return static_cast<uint32_t>(it - ids.begin());
  ids.push_back(l);
  g.nodes.push_back(LockGraphNode(syms, l));
  return static_cast<uint32_t>(g.nodes.size() - 1);
}

// The cycle as a graph: one edge per taker, outer lock -> inner lock, labelled by the
// thread and the inner acquire's line; returns the locks in node order.
std::vector<LockId> CycleGraph(const Symbols& syms, const CycleView& c, FindingGraph& g) {
  std::vector<LockId> ids;
  for (size_t i = 0; i < c.size(); ++i) {
    const EdgeTaker& t = c.taker(i);
    GraphEdge e;
    e.from = LockNode(syms, t.from_lock, ids, g);
    e.to = LockNode(syms, t.to_lock, ids, g);
    e.site = PrimaryLocation(syms, t.to_stack);
    e.held_site = PrimaryLocation(syms, t.from_stack);
    e.thread = ThreadLabel(syms, t.tid);
    e.label = ThreadName(syms, t.tid) + " at " + ShortLocation(e.site);
    e.on_cycle = true;
    e.section = static_cast<int>(2 * i);  // AddEdgeSections' first section of taker i
    g.edges.push_back(std::move(e));
  }
  return ids;
}

Finding BuildFinding(const Symbols& syms, const CycleView& c, const HoldHistory* holds, CycleScope scope) {
  Finding f;
  f.kind = FindingKind::kLockOrderInversion;
  bool any_timed = false;
  for (size_t i = 0; i < c.size(); ++i) any_timed = any_timed || c.taker(i).timed;
  f.severity = any_timed ? Severity::kWarning : Severity::kError;
  f.message = Message(syms, c, scope);
  f.primary = PrimaryLocation(syms, c.taker(0).to_stack);
  for (size_t i = 0; i < c.size(); ++i) AddEdgeSections(syms, c.taker(i), f);
  for (size_t i = 0; i < c.size(); ++i) AddLockCreatedSection(syms, c.taker(i).from_lock, f);
  std::vector<Tid> shown;
  for (size_t i = 0; i < c.size(); ++i) {
    Tid t = c.taker(i).tid;
    if (std::find(shown.begin(), shown.end(), t) != shown.end()) continue;
    shown.push_back(t);
    AddThreadStartedSection(syms, t, f);
  }
  f.notes.push_back(Note(syms, c));
  const std::vector<LockId> locks = CycleGraph(syms, c, f.graph);
  AddLockHolds(syms, holds, locks, f);
  return f;
}

}  // namespace

Finding LockCycleFinding(const Symbols& syms, const LockGraph& g, const LockCycle& cycle, const HoldHistory* holds,
                         CycleScope scope) {
  return BuildFinding(syms, CycleView{g, cycle}, holds, scope);
}

std::string LockCycleKey(const Symbols& syms, const LockGraph& g, const LockCycle& cycle) {
  return DedupKey(syms, CycleView{g, cycle});
}

void LockOrderDetector::OnEvent(const Event& e, const AnalysisContext& ctx) {
  if (e.obj >= kMaxDenseId || e.tid >= kMaxDenseId) return;
  LockId l = static_cast<LockId>(e.obj);
  if (e.kind == EventKind::kLockCreate) {
    graph_.OnCreate(l, *ctx.syms);
    return;
  }
  if (e.flags & (kFlagTry | kFlagReentrant)) return;
  const LockState& state = *ctx.locks;
  if (state.Holder(l) == e.tid) return;  // re-entry the recorder did not flag
  // A signal lock (Condition's waiter) is never in a held list, so never on a cycle:
  // edges into it would only grow the graph by one per Condition.wait.
  if (state.AcquireMakesSignal(e, *ctx.syms)) return;
  LockKind kind = state.Kind(l, *ctx.syms);
  bool python_lock = kind == LockKind::kLock || kind == LockKind::kRLock;
  graph_.OnAcquire(e.tid, l, e.stack, e.flags, state.Held(e.tid), python_lock, ctx.seq, *ctx.syms);
}

void LockOrderDetector::Finish(const AnalysisContext& ctx, FindingSink& sink) {
  for (const LockCycle& cycle : FindDeadlockCycles(graph_, kCycleSearchBudget)) {
    std::string key = LockCycleKey(*ctx.syms, graph_, cycle);
    if (sink.Bump(FindingKind::kLockOrderInversion, key)) continue;
    sink.Add(LockCycleFinding(*ctx.syms, graph_, cycle, ctx.holds), key, graph_.edges()[cycle.edges[0]].seq);
  }
}

}  // namespace pyrace
