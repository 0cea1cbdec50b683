// The op scanner of the lock-state dataflow: walks what each CFG node of one function
// evaluates, in evaluation order, and records the ops the dataflow (lockflow.cpp) cares
// about: acquires and releases of the function's lock table, with-items, calls, data
// accesses, blocking calls, condition operations and thread targets, plus the branch
// tests it can interpret. It decides nothing about lock state itself.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "tool/lint/cfg.h"
#include "tool/lint/extract.h"
#include "tool/lint/facts.h"

namespace pyrace::lint {

// Locks tracked per function: the dataflow keeps them as bits of a word.
constexpr int kMaxLocks = 16;


enum class OpKind : uint8_t {
  kAcquire, kAcquireAssign, kRelease, kWithAcquire, kCall, kAccess, kBlocking, kCondOp, kTarget
};

struct Op {
  OpKind kind{};
  int lock = -1;          // kAcquire/kAcquireAssign/kRelease: index in the lock table
  bool may_fail = false;  // acquire with timeout / blocking=False / unknown blocking
  std::string var;        // kAcquireAssign: the variable holding the result
  uint32_t var_test = 0;  // kAcquireAssign: the test id of `var`
  Pos pos;
  Ref ref;                // lock or receiver
  size_t with_index = 0;  // kWithAcquire: item index in the with statement
  // What a kCall, kAccess, kBlocking, kCondOp or kTarget op records, without the held
  // locks, which the dataflow adds. One alternative per op: holding all five made every
  // op 1.6 KB to build, move and destroy, half the scanner's time.
  std::variant<std::monostate, CallFact, AccessFact, BlockingFact, CondOpFact, TargetFact> fact;
};

// The ops of one CFG node and how its branch test (for kCond nodes) reads.
struct NodeOps {
  std::vector<Op> ops;
  int test_lock = -1;         // Cond node whose test is lock.acquire(...)
  int test_locked = -1;       // Cond node whose test is lock.locked()
  bool test_positive = true;  // false for `not lock.acquire(...)`
  int test_id = -1;           // assumption id of an ordinary test
  bool test_positive_id = true;
  bool is_while_test = false;
  std::vector<std::string> assigned;  // names/attribute chains assigned by this node
};

// Everything the scanner learnt about one function.
struct FunctionOps {
  std::vector<NodeOps> nodes;  // indexed like Cfg::nodes
  std::vector<Ref> locks;      // the lock table; an op's `lock` indexes it
  std::array<bool, kMaxLocks> lock_acquired{};
  std::array<bool, kMaxLocks> lock_released{};
  std::array<bool, kMaxLocks> lock_released_in_handler{};
  std::vector<Pos> acquire_sites;  // every acquire, in scan order; a site's ordinal is index + 1
  std::vector<int> acquire_nodes;  // the CFG node of each acquire site
  // The names each ordinary branch test (by test id) depends on: an assignment to any of
  // them forgets what the test said.
  std::vector<std::vector<std::string>> test_tokens;
};

FunctionOps ScanOps(const Scope& scope, const Cfg& cfg);

}  // namespace pyrace::lint
