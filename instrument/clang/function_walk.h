// The path-sensitive walk of one function's CFG: every path carries a CPathState; calls,
// assignments, branches and exits update it and report what breaks GIL discipline.
#pragma once

#include <set>

#include "instrument/clang/path_state.h"
#include "instrument/clang/tu_context.h"

namespace clang {
class ASTContext;
class Expr;
class FunctionDecl;
}

namespace pyrace::clint {

struct WalkResult {
  Summary summary;
  bool entry_gil_taken = false;  // took the GIL while assuming the caller held it
  std::vector<std::pair<Finding, unsigned>> findings;  // with the raw primary location
  std::vector<LockEdge> edges;
  size_t states = 0;    // (block, state) pairs walked
  std::set<unsigned> release_sites;  // GIL releases reached (for coverage statistics)
  bool capped = false;  // some block hit kMaxStatesPerBlock: paths were dropped
};

// The identity of a lock expression: "Struct.field" or a global's name (shared by all
// functions of the TU), else "fn:<function>:<text>" (this function only).
PathLock LockOfExpr(const clang::ASTContext& ctx, const clang::FunctionDecl* fd,
                    const clang::Expr* arg, unsigned loc);

// Walks fd (which must have a body) with the GIL at entry in state `entry`.
WalkResult WalkFunction(TuContext& tu, const clang::FunctionDecl* fd, Gil entry);

}  // namespace pyrace::clint
