#include "runtime/analysis/lock_graph.h"

#include <algorithm>

namespace pyrace {

namespace {

uint64_t EdgeKey(NodeId from, NodeId to) { return (uint64_t{from} << 32) | to; }

bool Contains(std::span<const NodeId> nodes, NodeId n) {
  return std::find(nodes.begin(), nodes.end(), n) != nodes.end();
}

}  // namespace

NodeId LockGraph::NewNode(LockId representative) {
  node_lock_.push_back(representative);
  out_.emplace_back();
  return static_cast<NodeId>(node_lock_.size() - 1);
}

// In the class view every lock created at the same creation stack is one node (the
// lead's choice over lockdep's single line: locks made by one factory helper for
// different callers stay apart), so an order taken on one pair of instances and
// reversed on another pair still closes a cycle.
NodeId LockGraph::NodeOf(LockId l, const Symbols& syms) {
  if (l < lock_node_.size() && lock_node_[l] != kNoNode) return lock_node_[l];
  if (l >= lock_node_.size()) lock_node_.resize(static_cast<size_t>(l) + 1, kNoNode);
  StackId created = l < syms.locks.size() ? syms.locks[l].create_stack : kNoStack;
  NodeId n;
  if (class_view_ && created != kNoStack) {
    uint64_t key = created;
    auto [it, inserted] = class_node_.try_emplace(key, 0);
    if (inserted) it->second = NewNode(l);
    n = it->second;
  } else {
    n = NewNode(l);
  }
  lock_node_[l] = n;
  return n;
}

void LockGraph::OnCreate(LockId l, const Symbols& syms) { NodeOf(l, syms); }

void LockGraph::OnAcquire(Tid tid, LockId to, StackId stack, uint8_t flags,
                          std::span<const HeldLock> held, bool gil_released_while_waiting,
                          uint64_t seq, const Symbols& syms) {
  if (held.empty()) return;
  if (held.size() > kMaxHeldScanned) held = held.subspan(held.size() - kMaxHeldScanned);
  held_nodes_.clear();
  for (const HeldLock& h : held) held_nodes_.push_back(NodeOf(h.lock, syms));
  EdgeContext ctx{tid, to, NodeOf(to, syms), stack, (flags & kFlagTimed) != 0, held,
                  held_nodes_, seq};
  for (size_t i = 0; i < held.size(); ++i) {
    NodeId from = held_nodes_[i];
    if (from == ctx.to_node) continue;  // another instance of the same class
    if (gil_released_while_waiting && held[i].lock == kGilLock) continue;
    const uint32_t* found = edge_index_.Find(EdgeKey(from, ctx.to_node));
    if (found) {
      UpdateEdge(edges_[*found], ctx, i);
    } else {
      AddEdge(ctx, i);
    }
  }
}

EdgeTaker LockGraph::MakeTaker(const EdgeContext& ctx, size_t from_index) {
  EdgeTaker taker;
  taker.tid = ctx.tid;
  taker.from_lock = ctx.held[from_index].lock;
  taker.to_lock = ctx.to_lock;
  taker.from_stack = ctx.held[from_index].acquire_stack;
  taker.to_stack = ctx.stack;
  taker.timed = ctx.timed;
  for (size_t i = 0; i < ctx.held.size(); ++i) {
    if (i != from_index) taker.also_held.push_back(ctx.held[i].lock);
  }
  return taker;
}

void LockGraph::AddEdge(const EdgeContext& ctx, size_t from_index) {
  NodeId from = ctx.held_nodes[from_index];
  LockEdge edge;
  edge.from = from;
  edge.to = ctx.to_node;
  edge.seq = ctx.seq;
  edge.count = 1;
  for (NodeId n : ctx.held_nodes) {
    if (n != from && n != ctx.to_node && !Contains(edge.gate, n)) edge.gate.push_back(n);
  }
  edge.takers.push_back(MakeTaker(ctx, from_index));
  uint32_t index = static_cast<uint32_t>(edges_.size());
  edges_.push_back(std::move(edge));
  edge_index_.Insert(EdgeKey(from, ctx.to_node), index);
  out_[from].push_back(index);
}

void LockGraph::UpdateEdge(LockEdge& edge, const EdgeContext& ctx, size_t from_index) {
  ++edge.count;
  // The gate only shrinks: a lock missing from one occurrence guards nothing.
  if (!edge.gate.empty()) {
    std::erase_if(edge.gate, [&](NodeId n) { return !Contains(ctx.held_nodes, n); });
  }
  for (EdgeTaker& t : edge.takers) {
    if (t.tid == ctx.tid) {
      t.timed = t.timed && ctx.timed;
      return;
    }
  }
  if (edge.takers.size() < kMaxTakers) edge.takers.push_back(MakeTaker(ctx, from_index));
}

void LockGraph::AddOccurrences(LockId from, LockId to, std::span<const LockId> gate,
                               std::span<const EdgeTaker> takers, uint64_t count, uint64_t seq,
                               const Symbols& syms) {
  NodeId f = NodeOf(from, syms), t = NodeOf(to, syms);
  if (f == t) return;
  held_nodes_.clear();
  for (LockId l : gate) {
    NodeId n = NodeOf(l, syms);
    if (n != f && n != t && !Contains(held_nodes_, n)) held_nodes_.push_back(n);
  }
  const uint32_t* found = edge_index_.Find(EdgeKey(f, t));
  LockEdge* edge;
  if (found) {
    edge = &edges_[*found];
    std::erase_if(edge->gate, [&](NodeId n) { return !Contains(held_nodes_, n); });
  } else {
    LockEdge fresh;
    fresh.from = f;
    fresh.to = t;
    fresh.seq = seq;
    fresh.gate = held_nodes_;
    uint32_t index = static_cast<uint32_t>(edges_.size());
    edges_.push_back(std::move(fresh));
    edge_index_.Insert(EdgeKey(f, t), index);
    out_[f].push_back(index);
    edge = &edges_.back();
  }
  edge->count += count;
  for (const EdgeTaker& taker : takers) {
    auto same = std::find_if(edge->takers.begin(), edge->takers.end(),
                             [&](const EdgeTaker& k) { return k.tid == taker.tid; });
    if (same != edge->takers.end()) {
      same->timed = same->timed && taker.timed;
    } else if (edge->takers.size() < kMaxTakers) {
      edge->takers.push_back(taker);
    }
  }
}

}  // namespace pyrace
