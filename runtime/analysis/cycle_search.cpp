#include "runtime/analysis/cycle_search.h"

#include <algorithm>

namespace pyrace {

namespace {

constexpr uint32_t kUnvisited = UINT32_MAX;
constexpr uint64_t kEnumerateSteps = 2'000;  // per closing edge, after the BFS
// A deadlock needs one blocked thread per edge; rings of more than 64 threads each
// holding one lock are not worth the search (lockdep stops at 48 held locks).
constexpr size_t kMaxCycleEdges = 64;

// Iterative Tarjan: component id per node.
std::vector<uint32_t> StronglyConnected(const LockGraph& g) {
  size_t n = g.node_count();
  std::vector<uint32_t> index(n, kUnvisited), low(n, 0), comp(n, kUnvisited);
  std::vector<bool> on_stack(n, false);
  std::vector<NodeId> stack;
  std::vector<std::pair<NodeId, size_t>> work;  // node, next out-edge position
  uint32_t next_index = 0, next_comp = 0;
  for (NodeId root = 0; root < n; ++root) {
    if (index[root] != kUnvisited) continue;
    work.push_back({root, 0});
    while (!work.empty()) {
      auto& [v, pos] = work.back();
      if (pos == 0 && index[v] == kUnvisited) {
        index[v] = low[v] = next_index++;
        stack.push_back(v);
        on_stack[v] = true;
      }
      const std::vector<uint32_t>& out = g.OutEdges(v);
      if (pos < out.size()) {
        NodeId w = g.edges()[out[pos++]].to;
        if (index[w] == kUnvisited) {
          work.push_back({w, 0});
        } else if (on_stack[w]) {
          low[v] = std::min(low[v], index[w]);
        }
        continue;
      }
      NodeId done = v;
      work.pop_back();
      if (!work.empty()) low[work.back().first] = std::min(low[work.back().first], low[done]);
      if (low[done] != index[done]) continue;
      NodeId w;
      do {
        w = stack.back();
        stack.pop_back();
        on_stack[w] = false;
        comp[w] = next_comp;
      } while (w != done);
      ++next_comp;
    }
  }
  return comp;
}

bool TryAssign(const LockGraph& g, std::span<const uint32_t> edges, size_t e,
               std::vector<size_t>& taker_of, std::vector<size_t>& edge_of_slot,
               std::vector<Tid>& slot_tid, std::vector<bool>& seen) {
  const std::vector<EdgeTaker>& takers = g.edges()[edges[e]].takers;
  for (size_t t = 0; t < takers.size(); ++t) {
    size_t slot = std::find(slot_tid.begin(), slot_tid.end(), takers[t].tid) - slot_tid.begin();
    if (slot == slot_tid.size()) {
      slot_tid.push_back(takers[t].tid);
      edge_of_slot.push_back(SIZE_MAX);
      seen.push_back(false);
    }
    if (seen[slot]) continue;
    seen[slot] = true;
    if (edge_of_slot[slot] == SIZE_MAX ||
        TryAssign(g, edges, edge_of_slot[slot], taker_of, edge_of_slot, slot_tid, seen)) {
      edge_of_slot[slot] = e;
      taker_of[e] = t;
      return true;
    }
  }
  return false;
}

// Path search from the closing edge's head back to its tail through older edges of
// the same component. Breadth-first first (the shortest cycle is the clearest report);
// if that one is not a real deadlock, enumerate simple paths depth-first.
class ClosingEdgeSearch {
 public:
  // The search touches every edge many times: it reads compact copies of what it
  // needs (head node, sole taker) instead of the graph's edge records.
  ClosingEdgeSearch(const LockGraph& g, const std::vector<uint32_t>& comp, uint64_t& budget)
      : g_(g), comp_(comp), budget_(budget), mark_(g.node_count(), 0),
        parent_(g.node_count(), 0) {
    to_.reserve(g.edges().size());
    from_.reserve(g.edges().size());
    only_tid_.reserve(g.edges().size());
    for (const LockEdge& e : g.edges()) {
      to_.push_back(e.to);
      from_.push_back(e.from);
      only_tid_.push_back(e.takers.size() == 1 ? e.takers[0].tid : kNoTid);
    }
  }

  // max_edges: no cycle through this edge can be longer (distinct threads available).
  bool Run(uint32_t closing, size_t max_edges, LockCycle* out) {
    closing_ = closing;
    closing_comp_ = comp_[from_[closing]];
    max_edges_ = std::min(max_edges, kMaxCycleEdges);
    sole_taker_ = only_tid_[closing];
    ++stamp_;
    std::vector<uint32_t> path;
    // Every other cycle through this edge is at least as long as the shortest one.
    if (!ShortestPath(&path) || path.size() + 1 > max_edges_) return false;
    if (Accept(path, out)) return true;
    // Dense graphs have exponentially many simple paths: give each closing edge a
    // share of the budget, not all of it.
    uint64_t share = std::min<uint64_t>(budget_, kEnumerateSteps);
    uint64_t rest = budget_ - share;
    budget_ = share;
    bool found = EnumeratePaths(out);
    budget_ += rest;
    return found;
  }

 private:
  bool Spend() {
    if (budget_ == 0) return false;
    --budget_;
    return true;
  }

  // An older edge of the component. When one thread alone took the closing edge, an
  // edge only that thread took cannot be in the same deadlock (one thread, one wait).
  bool Usable(uint32_t edge) const {
    if (edge >= closing_ || comp_[to_[edge]] != closing_comp_) return false;
    return sole_taker_ == kNoTid || only_tid_[edge] != sole_taker_;
  }

  bool ShortestPath(std::vector<uint32_t>* path) {
    NodeId head_node = to_[closing_], tail_node = from_[closing_];
    queue_.clear();
    queue_.push_back(head_node);
    mark_[head_node] = stamp_;
    for (size_t head = 0; head < queue_.size(); ++head) {
      NodeId v = queue_[head];
      if (v == tail_node) {
        for (NodeId n = v; n != head_node; n = from_[parent_[n]]) path->push_back(parent_[n]);
        std::reverse(path->begin(), path->end());
        return true;
      }
      for (uint32_t edge : g_.OutEdges(v)) {
        if (edge >= closing_) break;  // out-edges are in creation order
        if (!Spend()) return false;
        NodeId w = to_[edge];
        if (!Usable(edge) || mark_[w] == stamp_) continue;
        mark_[w] = stamp_;
        parent_[w] = edge;
        queue_.push_back(w);
      }
    }
    return false;
  }

  bool EnumeratePaths(LockCycle* out) {
    NodeId head_node = to_[closing_], tail_node = from_[closing_];
    ++stamp_;  // mark_ == stamp_: on the current path
    std::vector<uint32_t> path;
    std::vector<std::pair<NodeId, size_t>> work{{head_node, 0}};
    mark_[head_node] = stamp_;
    while (!work.empty()) {
      auto& [v, pos] = work.back();
      const std::vector<uint32_t>& outs = g_.OutEdges(v);
      if (pos >= outs.size()) {
        mark_[v] = 0;
        work.pop_back();
        if (!path.empty()) path.pop_back();
        continue;
      }
      uint32_t edge = outs[pos++];
      if (!Spend()) return false;
      NodeId w = to_[edge];
      if (!Usable(edge) || mark_[w] == stamp_) continue;
      path.push_back(edge);
      if (path.size() + 1 > max_edges_) {
        path.pop_back();
        continue;
      }
      if (w == tail_node) {
        if (Accept(path, out)) return true;
        path.pop_back();
        continue;
      }
      mark_[w] = stamp_;
      work.push_back({w, 0});
    }
    return false;
  }

  bool Accept(const std::vector<uint32_t>& path, LockCycle* out) {
    std::vector<uint32_t> edges{closing_};
    edges.insert(edges.end(), path.begin(), path.end());
    std::vector<size_t> takers;
    if (SharesGateLock(g_, edges) || !AssignDistinctThreads(g_, edges, &takers)) return false;
    out->edges = std::move(edges);
    out->takers = std::move(takers);
    return true;
  }

  const LockGraph& g_;
  const std::vector<uint32_t>& comp_;
  uint64_t& budget_;
  std::vector<uint32_t> mark_;
  std::vector<uint32_t> parent_;  // BFS: the edge a node was reached by
  uint32_t stamp_ = 0;
  std::vector<NodeId> to_, from_;  // per edge
  std::vector<Tid> only_tid_;      // per edge: its one taker, kNoTid when several
  std::vector<NodeId> queue_;      // BFS scratch
  uint32_t closing_ = 0;
  uint32_t closing_comp_ = 0;
  size_t max_edges_ = kMaxCycleEdges;
  Tid sole_taker_ = kNoTid;
};

// How many distinct threads took edges inside each component: a cycle needs one
// thread per edge, so none can be longer.
std::vector<size_t> ThreadsPerComponent(const LockGraph& g, const std::vector<uint32_t>& comp) {
  std::vector<std::vector<Tid>> tids(g.node_count());
  for (const LockEdge& e : g.edges()) {
    if (comp[e.from] != comp[e.to]) continue;
    for (const EdgeTaker& t : e.takers) tids[comp[e.from]].push_back(t.tid);
  }
  std::vector<size_t> count(g.node_count(), 0);
  for (size_t c = 0; c < tids.size(); ++c) {
    std::sort(tids[c].begin(), tids[c].end());
    count[c] = static_cast<size_t>(std::unique(tids[c].begin(), tids[c].end()) - tids[c].begin());
  }
  return count;
}

}  // namespace

bool AssignDistinctThreads(const LockGraph& g, std::span<const uint32_t> edges,
                           std::vector<size_t>* takers) {
  std::vector<size_t> taker_of(edges.size(), SIZE_MAX), edge_of_slot;
  std::vector<Tid> slot_tid;
  std::vector<bool> seen;
  for (size_t e = 0; e < edges.size(); ++e) {
    seen.assign(slot_tid.size(), false);
    if (!TryAssign(g, edges, e, taker_of, edge_of_slot, slot_tid, seen)) return false;
  }
  *takers = std::move(taker_of);
  return true;
}

bool SharesGateLock(const LockGraph& g, std::span<const uint32_t> edges) {
  std::vector<NodeId> common = g.edges()[edges[0]].gate;
  for (size_t i = 1; i < edges.size() && !common.empty(); ++i) {
    const std::vector<NodeId>& gate = g.edges()[edges[i]].gate;
    std::erase_if(common, [&](NodeId n) {
      return std::find(gate.begin(), gate.end(), n) == gate.end();
    });
  }
  return !common.empty();
}

std::vector<LockCycle> FindDeadlockCycles(const LockGraph& g, uint64_t step_budget) {
  std::vector<LockCycle> cycles;
  if (g.edges().empty()) return cycles;
  std::vector<uint32_t> comp = StronglyConnected(g);
  std::vector<size_t> threads = ThreadsPerComponent(g, comp);
  ClosingEdgeSearch search(g, comp, step_budget);
  for (uint32_t e = 0; e < g.edges().size() && step_budget > 0; ++e) {
    const LockEdge& edge = g.edges()[e];
    if (comp[edge.from] != comp[edge.to] || threads[comp[edge.from]] < 2) continue;
    LockCycle cycle;
    if (search.Run(e, threads[comp[edge.from]], &cycle)) cycles.push_back(std::move(cycle));
  }
  return cycles;
}

}  // namespace pyrace
