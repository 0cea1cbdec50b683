// A control-flow graph of one Python function, built from its tree-sitter tree. Nodes are
// simple statements and branch tests; edges know which way a test went, which exits are
// exceptions (explicit `raise` or an implicit one from a call) and how `finally` blocks are
// entered and left (a pending return/break/continue/raise travels with the path state and
// the finally's exit edges are filtered by it, so one finally body serves every way in).
#pragma once

#include <cstdint>
#include <vector>

#include "tool/lint/source.h"

namespace pyrace::lint {

enum class Pending : int8_t { kNone = 0, kReturn, kBreak, kContinue, kRaise };
enum class ExcTag : int8_t { kNone = 0, kImplicit, kExplicit };

struct CfgEdge {
  int to = -1;
  int8_t cond = 0;          // 0: unconditional, 1: test true, 2: test false
  int8_t set_exc = -1;      // -1 keep, else ExcTag
  int8_t set_pending = -1;  // -1 keep, else Pending (entering a finally)
  int8_t need_pending = -1;  // -1 any, else only paths with this pending (leaving a finally)
  bool pre = false;         // taken before the node's effects (an exception raised by it)
};

enum class CfgKind : uint8_t { kEntry, kNormalExit, kRaiseExit, kStmt, kCond, kHandler, kFinallyEntry, kFinallyExit };

struct CfgNode {
  CfgKind kind = CfgKind::kStmt;
  Node ast{};        // what the node evaluates (a statement, a test, a with/for header)
  Node stmt{};       // the statement it belongs to (for positions of exits)
  std::vector<CfgEdge> succ;
  std::vector<Node> with_values;  // values of enclosing `with` items, outermost first
  int try_stmt = -1;   // for nodes inside a finally/except: index into Cfg::trys
  bool in_handler = false;  // inside a finally or except body (release there is exception-aware)
  bool in_while = false;
  bool is_return = false;
  bool is_raise = false;
  bool is_loop_jump = false;
};

struct TryInfo {
  Node node{};
};

struct Cfg {
  std::vector<CfgNode> nodes;
  std::vector<TryInfo> trys;
  int entry = 0, normal_exit = 1, raise_exit = 2;
  bool truncated = false;  // too large to analyse precisely
};

// Builds the CFG of a function body (a `block`) or of a module's top-level statements.
Cfg BuildCfg(const Source& src, Node body);

// Whether evaluating this node's own part (not nested blocks or definitions) can raise:
// it calls something other than release()/notify(), awaits, or asserts.
bool MayRaise(const Source& src, Node ast);

}  // namespace pyrace::lint
