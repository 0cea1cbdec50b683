// The abstract state one path through a function carries: who holds the GIL, the
// outstanding PyGILState_Ensure calls, the C locks held, pending try-lock results and
// the truth of the branch variables decided so far. The walk keeps one state per
// distinct path prefix (deduplicated per CFG block), which makes it path-sensitive in
// exactly these facts and nothing else.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace clang {
class VarDecl;
}

namespace pyrace::clint {

std::string VarToken(const clang::VarDecl* v);  // "v0x..": the variable inside fact keys

enum class Gil : uint8_t {
  kAssumed,   // function entry: the caller holds it (the usual case for extension code)
  kHeld,      // taken explicitly on this path
  kReleased,  // released on this path (PyEval_SaveThread, Py_BEGIN_ALLOW_THREADS, ...)
  kUnknown,   // entry of a function that takes the GIL itself: it may run without it
};

inline bool GilMayBeMissing(Gil g) { return g == Gil::kReleased || g == Gil::kUnknown; }

// How a try-lock reports success.
enum class TryKind : uint8_t {
  kZeroIsSuccess,     // pthread_mutex_trylock / timedlock
  kNonzeroIsSuccess,  // PyThread_acquire_lock
  kOneIsSuccess,      // PyThread_acquire_lock_timed: PY_LOCK_ACQUIRED
};

// A C lock held on one path (the run-time analyses' held locks are runtime/analysis/lock_state.h).
struct PathLock {
  std::string id;        // identity: "Struct.field", a global's name, or "fn:local"
  std::string text;      // as written, for messages
  unsigned acquire = 0;  // raw clang::SourceLocation of the acquire
  bool operator==(const PathLock&) const = default;
};

struct PendingTry {
  const clang::VarDecl* var = nullptr;  // holds the result; null: the call itself
  const void* call = nullptr;           // the CallExpr, while not yet bound to a var
  TryKind kind{};
  PathLock lock;
  bool operator==(const PendingTry&) const = default;
};

struct EnsureEntry {
  Gil before{};
  unsigned loc = 0;
  bool escaped = false;  // the PyGILState_STATE left the function (stored or returned)
  const clang::VarDecl* var = nullptr;  // the local holding it
  bool operator==(const EnsureEntry&) const = default;
};

// One path's state through a C function (the Python linter's is tool/lint's own).
struct CPathState {
  Gil gil = Gil::kAssumed;
  unsigned gil_released_at = 0;        // raw location of the last release on this path
  const clang::VarDecl* token = nullptr;  // local holding the saved thread state
  bool token_escaped = false;          // the saved state was stored or returned
  std::vector<EnsureEntry> ensures;    // innermost last; capped
  std::vector<PathLock> locks;         // sorted by id
  std::vector<PendingTry> tries;
  // Truth of branch conditions decided on this path, keyed by FactKey (pure expressions
  // of locals: "v0x..", "v0x..->lock", "(v0x..&4)") or by an expression's address ("e0x..",
  // kept only within one full expression: the values of ?:, && and || operands).
  std::vector<std::pair<std::string, bool>> facts;  // sorted by key
  std::vector<std::string> released_unheld;  // locks released before being taken here
  std::vector<std::string> fresh;            // locks created on this path, not yet shared

  std::string Key() const;
  void AddLock(PathLock l);
  bool RemoveLock(const std::string& id);
  const bool* Fact(const std::string& key) const;
  void SetFact(const std::string& key, bool value);
  void KillKeysContaining(const std::string& part);  // something in them was written
  void KillVar(const clang::VarDecl* v);  // the variable was written: forget what we knew
  void ClearExpressionFacts();            // a statement boundary: "e.." facts expire
};

}  // namespace pyrace::clint
