// Finds the lock-graph cycles that could really deadlock. Each cycle is found once,
// from its newest edge (the acquire that closed it), searching back only through older
// edges; only edges inside one strongly connected component are searched, so a graph
// without cycles costs one linear pass.
//
// A cycle counts only when (a) its edges can be given pairwise distinct threads (a
// deadlock needs one blocked thread per edge: a thread that takes both orders alone
// cannot deadlock with itself), and (b) no lock is held at every edge (a common gate
// lock serializes the edges).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "runtime/analysis/lock_graph.h"

namespace pyrace {

struct LockCycle {
  std::vector<uint32_t> edges;  // edges[0] closed the cycle; the rest follow it around
  std::vector<size_t> takers;   // per edge, the taker (distinct threads) it is shown with
};

// At most one cycle per closing edge (the shortest valid one the search meets), of at
// most 64 edges; step_budget bounds the total path-search work.
std::vector<LockCycle> FindDeadlockCycles(const LockGraph& g, uint64_t step_budget);

// The step budget of a Finish-time search over a whole graph: a process's, or the
// merge of many processes' lock classes.
inline constexpr uint64_t kCycleSearchBudget = 50'000'000;

// (a) above: a system of distinct representatives over the edges' taker threads.
bool AssignDistinctThreads(const LockGraph& g, std::span<const uint32_t> edges,
                           std::vector<size_t>* takers);
// (b) above.
bool SharesGateLock(const LockGraph& g, std::span<const uint32_t> edges);

}  // namespace pyrace
