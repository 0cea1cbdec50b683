// The path-sensitive walk of one function's CFG: every path carries a PathState; calls,
// assignments, branches and exits update it and report what breaks GIL discipline.
#pragma once

#include "instrument/clang/path_state.h"
#include "instrument/clang/tu_context.h"

namespace clang {
class FunctionDecl;
}

namespace pyrace::clint {

struct WalkResult {
  Summary summary;
  bool entry_gil_taken = false;  // took the GIL while assuming the caller held it
  std::vector<std::pair<Finding, unsigned>> findings;  // with the raw primary location
  std::vector<LockEdge> edges;
};

// Walks fd (which must have a body) with the GIL at entry in state `entry`.
WalkResult WalkFunction(TuContext& tu, const clang::FunctionDecl* fd, Gil entry);

}  // namespace pyrace::clint
