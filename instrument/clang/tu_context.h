// What the walk of one function needs to know about the rest of its translation unit:
// which callees are the Python C API, the summaries of the functions defined here,
// which functions are thread entry points, and where findings and lock-order edges go.
#pragma once

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/model/finding.h"

namespace clang {
class ASTContext;
class FunctionDecl;
class SourceManager;
class SourceLocation;
class Stmt;
}  // namespace clang

namespace pyrace::clint {

// What a function of this TU does, seen from its callers (computed on demand, once).
struct Summary {
  bool needs_gil = false;    // uses the C API before changing the GIL state itself
  unsigned need_loc = 0;     // first such use (raw location)
  std::string need_what;     // "Py_DECREF", "PyErr_SetString"
  enum class Effect { kNone, kReleases, kAcquires } effect = Effect::kNone;
  bool takes_gil = false;    // may block taking the GIL (Ensure / RestoreThread)
  unsigned takes_gil_loc = 0;
  std::vector<std::pair<std::string, unsigned>> blocking_locks;  // C locks it blocks on
  // Lock helpers: C locks (TU-wide identities) held on every exit, having been taken
  // here (id, text), and locks released on every exit without being taken here.
  std::vector<std::pair<std::string, std::string>> net_acquires;
  std::vector<std::string> net_releases;
};

// "from is held while to is taken", for the GIL-vs-C-lock cycle check.
struct LockEdge {
  bool gil_then_lock = false;  // true: GIL held, lock taken; false: lock held, GIL taken
  std::string lock_id;
  std::string lock_text;
  unsigned loc = 0;       // the acquire that makes the edge
  unsigned held_loc = 0;  // where the held lock was taken (lock->GIL edges)
  const clang::FunctionDecl* fn = nullptr;
  bool via_call = false;  // through a callee's summary (the call site, not the acquire)
};

class TuContext {
 public:
  TuContext(clang::ASTContext& ctx, std::string python_include_dir);

  void Run();  // walks every function of the TU, then the lock-order check
  std::vector<Finding> TakeFindings() { return std::move(findings_); }

  struct Stats {
    size_t functions = 0, states = 0, capped = 0, rewalked = 0;
    std::set<unsigned> release_sites;  // distinct GIL-release sites reached
    std::vector<std::string> capped_functions;
  };
  const Stats& stats() const { return stats_; }

  clang::ASTContext& ctx() const { return ctx_; }
  clang::SourceManager& sm() const;

  bool InPythonHeaders(const clang::FunctionDecl* fd);  // declared there: the C API
  bool InPythonHeaderFile(clang::SourceLocation loc);
  bool Analyzable(const clang::FunctionDecl* fd) const;
  bool IsThreadEntry(const clang::FunctionDecl* fd) const { return thread_entries_.count(fd) > 0; }
  const Summary& SummaryOf(const clang::FunctionDecl* fd);
  const std::set<std::string>& LockReleasesIn(const clang::FunctionDecl* fd);  // lock ids

  SourceLocation Loc(unsigned raw, const clang::FunctionDecl* fn) const;
  std::string TextAt(unsigned raw) const;  // the token written at a location ("Py_CLEAR")
  void Report(Finding f, unsigned primary_raw);
  void AddEdge(LockEdge e) { edges_.push_back(std::move(e)); }

 private:
  void FindThreadEntries();
  void CheckLockOrder();
  bool Suppressed(unsigned raw, FindingKind kind) const;

  clang::ASTContext& ctx_;
  std::string python_include_dir_;
  std::unordered_map<unsigned, bool> python_header_file_;  // FileID hash -> verdict
  std::map<const clang::FunctionDecl*, Summary> summaries_;
  std::set<const clang::FunctionDecl*> computing_;
  std::set<const clang::FunctionDecl*> thread_entries_;
  std::map<const clang::FunctionDecl*, std::set<std::string>> lock_releases_;
  std::vector<LockEdge> edges_;
  std::vector<Finding> findings_;
  Stats stats_;
  std::set<std::string> reported_;
};

}  // namespace pyrace::clint
