// The lock graph: a node per lock instance (or per creation stack in the lock-class
// view), an edge from -> to for "to was acquired while from was held". Each edge keeps
// up to kMaxTakers distinct threads that took it, with both acquire stacks, and its
// gate set: the locks held at *every* occurrence besides `from` (a lock common to all
// edges of a cycle serializes them, so the cycle cannot deadlock).
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "runtime/analysis/flat_map.h"
#include "runtime/analysis/lock_state.h"
#include "runtime/model/event.h"
#include "runtime/model/symbols.h"

namespace pyrace {

using NodeId = uint32_t;

struct EdgeTaker {
  Tid tid = kNoTid;
  LockId from_lock = 0;
  LockId to_lock = 0;
  StackId from_stack = kNoStack;  // where from_lock was acquired
  StackId to_stack = kNoStack;    // where to_lock was acquired
  bool timed = true;              // every acquire of `to` by this thread had a timeout
  std::vector<LockId> also_held;  // other locks held at the first occurrence
};

struct LockEdge {
  NodeId from = 0;
  NodeId to = 0;
  uint64_t seq = 0;    // first occurrence (event index)
  uint64_t count = 0;  // occurrences
  std::vector<EdgeTaker> takers;
  std::vector<NodeId> gate;
};

class LockGraph {
 public:
  static constexpr size_t kMaxTakers = 4;
  // Only the most recently acquired locks of a thread make edges: a thread holding
  // hundreds of locks is a leak, and quadratic work on it helps nobody.
  static constexpr size_t kMaxHeldScanned = 32;

  explicit LockGraph(bool class_view) : class_view_(class_view) {}
  bool class_view() const { return class_view_; }

  void OnCreate(LockId l, const Symbols& syms);
  // An acquire of `to` by tid under `held` (the thread's held locks, oldest first).
  // gil_released_while_waiting: the acquire cannot block while holding the GIL (a
  // Python lock's acquire lets the GIL go), so the GIL is not an edge source.
  void OnAcquire(Tid tid, LockId to, StackId stack, uint8_t flags,
                 std::span<const HeldLock> held, bool gil_released_while_waiting,
                 uint64_t seq, const Symbols& syms);
  // Occurrences of from -> to decided elsewhere (another process's lock-class summary,
  // runtime/analysis/lock_class/): count more occurrences whose gate set is `gate`
  // (intersected with the edge's), taken by `takers` (kept while fewer than kMaxTakers
  // distinct threads are known). seq orders the edge for the cycle search.
  void AddOccurrences(LockId from, LockId to, std::span<const LockId> gate,
                      std::span<const EdgeTaker> takers, uint64_t count, uint64_t seq,
                      const Symbols& syms);

  NodeId NodeOf(LockId l, const Symbols& syms);
  size_t node_count() const { return node_lock_.size(); }
  LockId NodeLock(NodeId n) const { return node_lock_[n]; }  // a representative lock

  const std::vector<LockEdge>& edges() const { return edges_; }
  // Edge indexes leaving n, in creation order.
  const std::vector<uint32_t>& OutEdges(NodeId n) const { return out_[n]; }

 private:
  static constexpr NodeId kNoNode = UINT32_MAX;

  // One acquire, as every edge it makes sees it.
  struct EdgeContext {
    Tid tid;
    LockId to_lock;
    NodeId to_node;
    StackId stack;
    bool timed;
    std::span<const HeldLock> held;      // the scanned tail of the held list
    std::span<const NodeId> held_nodes;  // their nodes, same order
    uint64_t seq;
  };

  NodeId NewNode(LockId representative);
  static EdgeTaker MakeTaker(const EdgeContext& ctx, size_t from_index);
  void AddEdge(const EdgeContext& ctx, size_t from_index);
  void UpdateEdge(LockEdge& edge, const EdgeContext& ctx, size_t from_index);

  bool class_view_;
  std::vector<NodeId> lock_node_;  // LockId -> NodeId; kNoNode until seen
  std::vector<LockId> node_lock_;
  std::vector<std::vector<uint32_t>> out_;
  std::unordered_map<uint64_t, NodeId> class_node_;  // creation StackId -> node (class view)
  std::vector<LockEdge> edges_;
  FlatMap64 edge_index_;  // (from << 32 | to) -> edges_ index
  std::vector<NodeId> held_nodes_;  // scratch, reused across acquires
};

}  // namespace pyrace
