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

struct HeldLock {
  std::string id;        // identity: "Struct.field", a global's name, or "fn:local"
  std::string text;      // as written, for messages
  unsigned acquire = 0;  // raw clang::SourceLocation of the acquire
  bool operator==(const HeldLock&) const = default;
};

struct PendingTry {
  const clang::VarDecl* var = nullptr;  // holds the result; null: the call itself
  const void* call = nullptr;           // the CallExpr, while not yet bound to a var
  TryKind kind{};
  HeldLock lock;
  bool operator==(const PendingTry&) const = default;
};

struct EnsureEntry {
  Gil before{};
  unsigned loc = 0;
  bool escaped = false;  // the PyGILState_STATE left the function (stored or returned)
  bool operator==(const EnsureEntry&) const = default;
};

struct PathState {
  Gil gil = Gil::kAssumed;
  unsigned gil_released_at = 0;        // raw location of the last release on this path
  const clang::VarDecl* token = nullptr;  // local holding the saved thread state
  bool token_escaped = false;          // the saved state was stored or returned
  std::vector<EnsureEntry> ensures;    // innermost last; capped
  std::vector<HeldLock> locks;         // sorted by id
  std::vector<PendingTry> tries;
  std::vector<std::pair<const clang::VarDecl*, bool>> facts;  // sorted by var

  std::string Key() const;
  void AddLock(HeldLock l);
  bool RemoveLock(const std::string& id);
  const bool* Fact(const clang::VarDecl* v) const;
  void SetFact(const clang::VarDecl* v, bool value);
  void KillVar(const clang::VarDecl* v);  // the variable was written: forget what we knew
};

}  // namespace pyrace::clint
