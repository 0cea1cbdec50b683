#include "instrument/clang/tu_context.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"
#include "instrument/clang/function_walk.h"
#include "instrument/clang/gil_api.h"
#include "instrument/clang/suppress.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

namespace pyrace::clint {
namespace {

// Functions handed to pthread_create / PyThread_start_new_thread start without the GIL.
class ThreadEntryFinder : public clang::RecursiveASTVisitor<ThreadEntryFinder> {
 public:
  explicit ThreadEntryFinder(std::set<const clang::FunctionDecl*>* out) : out_(out) {}
  bool VisitCallExpr(clang::CallExpr* ce) {
    const clang::FunctionDecl* callee = ce->getDirectCallee();
    if (!callee || !callee->getIdentifier()) return true;
    int idx = ThreadFunctionArgIndex(callee->getName());
    if (idx < 0 || static_cast<unsigned>(idx) >= ce->getNumArgs()) return true;
    const clang::Expr* arg = ce->getArg(static_cast<unsigned>(idx))->IgnoreParenCasts();
    if (const auto* u = clang::dyn_cast<clang::UnaryOperator>(arg)) {
      arg = u->getSubExpr()->IgnoreParenCasts();
    }
    if (const auto* dre = clang::dyn_cast<clang::DeclRefExpr>(arg)) {
      if (const auto* fd = clang::dyn_cast<clang::FunctionDecl>(dre->getDecl())) {
        if (const clang::FunctionDecl* def = fd->getDefinition()) out_->insert(def);
      }
    }
    return true;
  }

 private:
  std::set<const clang::FunctionDecl*>* out_;
};

class FunctionCollector : public clang::RecursiveASTVisitor<FunctionCollector> {
 public:
  explicit FunctionCollector(std::vector<const clang::FunctionDecl*>* out) : out_(out) {}
  bool VisitFunctionDecl(clang::FunctionDecl* fd) {
    if (fd->doesThisDeclarationHaveABody() && !fd->isDependentContext()) out_->push_back(fd);
    return true;
  }

 private:
  std::vector<const clang::FunctionDecl*>* out_;
};

class ReleaseFinder : public clang::RecursiveASTVisitor<ReleaseFinder> {
 public:
  ReleaseFinder(const clang::ASTContext& ctx, const clang::FunctionDecl* fd,
                std::set<std::string>* out)
      : ctx_(ctx), fd_(fd), out_(out) {}
  bool VisitCallExpr(clang::CallExpr* ce) {
    const clang::FunctionDecl* callee = ce->getDirectCallee();
    if (!callee || !callee->getIdentifier() || ce->getNumArgs() == 0) return true;
    if (ClassifyCall(callee->getName(), false) == CallRole::kLockRelease) {
      out_->insert(LockOfExpr(ctx_, fd_, ce->getArg(0), 0).id);
    }
    return true;
  }

 private:
  const clang::ASTContext& ctx_;
  const clang::FunctionDecl* fd_;
  std::set<std::string>* out_;
};

}  // namespace

const std::set<std::string>& TuContext::LockReleasesIn(const clang::FunctionDecl* fd) {
  auto it = lock_releases_.find(fd);
  if (it != lock_releases_.end()) return it->second;
  std::set<std::string>& out = lock_releases_[fd];
  if (fd->getBody()) ReleaseFinder(ctx_, fd, &out).TraverseStmt(fd->getBody());
  return out;
}

TuContext::TuContext(clang::ASTContext& ctx, std::string python_include_dir)
    : ctx_(ctx), python_include_dir_(std::move(python_include_dir)) {}

clang::SourceManager& TuContext::sm() const { return ctx_.getSourceManager(); }

void TuContext::Run() {
  FindThreadEntries();
  std::vector<const clang::FunctionDecl*> fns;
  FunctionCollector(&fns).TraverseDecl(ctx_.getTranslationUnitDecl());
  for (const clang::FunctionDecl* fd : fns) {
    if (Analyzable(fd)) SummaryOf(fd);
  }
  CheckLockOrder();
}

void TuContext::FindThreadEntries() {
  ThreadEntryFinder(&thread_entries_).TraverseDecl(ctx_.getTranslationUnitDecl());
}

// A header belongs to Python when Python.h sits beside it or one level up
// (Include/, Include/cpython/, Include/internal/, /usr/include/python3.X/...).
bool TuContext::InPythonHeaders(const clang::FunctionDecl* fd) {
  return InPythonHeaderFile(fd->getFirstDecl()->getLocation());
}

bool TuContext::InPythonHeaderFile(clang::SourceLocation loc) {
  clang::SourceLocation l = sm().getExpansionLoc(loc);
  clang::FileID fid = sm().getFileID(l);
  unsigned key = fid.getHashValue();
  auto it = python_header_file_.find(key);
  if (it != python_header_file_.end()) return it->second;
  bool verdict = false;
  if (const clang::FileEntry* fe = sm().getFileEntryForID(fid)) {
    llvm::StringRef path = fe->tryGetRealPathName();
    if (path.empty()) path = fe->getName();
    if (!python_include_dir_.empty() && path.startswith(python_include_dir_)) {
      verdict = true;
    } else {
      llvm::StringRef dir = llvm::sys::path::parent_path(path);
      for (int up = 0; up < 2 && !dir.empty() && !verdict; ++up) {
        llvm::SmallString<256> candidate(dir);
        llvm::sys::path::append(candidate, "Python.h");
        verdict = llvm::sys::fs::exists(candidate);
        dir = llvm::sys::path::parent_path(dir);
      }
    }
  }
  python_header_file_[key] = verdict;
  return verdict;
}

bool TuContext::Analyzable(const clang::FunctionDecl* fd) const {
  if (!fd->doesThisDeclarationHaveABody()) return false;
  clang::SourceLocation l = sm().getExpansionLoc(fd->getLocation());
  if (l.isInvalid() || sm().isInSystemHeader(l)) return false;
  // Where the body is written, not where the function is declared: CPython's own
  // modules define API functions (PyErr_CheckSignals, PyObject_GC_*) whose bodies count.
  return !const_cast<TuContext*>(this)->InPythonHeaderFile(fd->getLocation());
}

const Summary& TuContext::SummaryOf(const clang::FunctionDecl* fd) {
  static const Summary kEmpty;
  auto it = summaries_.find(fd);
  if (it != summaries_.end()) return it->second;
  if (computing_.count(fd)) return kEmpty;  // recursion: judged without its own summary
  computing_.insert(fd);
  Gil entry = IsThreadEntry(fd) ? Gil::kUnknown : Gil::kAssumed;
  WalkResult r = WalkFunction(*this, fd, entry);
  if (entry == Gil::kAssumed && r.entry_gil_taken) {
    // It takes the GIL itself, so it is called without it: judge it from that start.
    r = WalkFunction(*this, fd, Gil::kUnknown);
    r.summary.needs_gil = false;
    ++stats_.rewalked;
  }
  ++stats_.functions;
  stats_.states += r.states;
  stats_.capped += r.capped ? 1 : 0;
  if (r.capped) stats_.capped_functions.push_back(fd->getNameAsString());
  stats_.release_sites.insert(r.release_sites.begin(), r.release_sites.end());
  computing_.erase(fd);
  for (auto& [f, raw] : r.findings) Report(std::move(f), raw);
  for (LockEdge& e : r.edges) AddEdge(std::move(e));
  return summaries_[fd] = std::move(r.summary);
}

SourceLocation TuContext::Loc(unsigned raw, const clang::FunctionDecl* fn) const {
  SourceLocation out;
  clang::SourceLocation l = sm().getExpansionLoc(clang::SourceLocation::getFromRawEncoding(raw));
  clang::PresumedLoc p = sm().getPresumedLoc(l);
  if (p.isValid()) {
    out.file = p.getFilename();
    out.line = p.getLine();
    out.column = p.getColumn();
  }
  if (fn) out.function = fn->getNameAsString();
  return out;
}

std::string TuContext::TextAt(unsigned raw) const {
  clang::SourceLocation l = sm().getExpansionLoc(clang::SourceLocation::getFromRawEncoding(raw));
  clang::Token tok;
  if (clang::Lexer::getRawToken(l, tok, sm(), ctx_.getLangOpts(), true)) return {};
  if (!tok.is(clang::tok::raw_identifier)) return {};
  return tok.getRawIdentifier().str();
}

bool TuContext::Suppressed(unsigned raw, FindingKind kind) const {
  clang::SourceLocation l = sm().getExpansionLoc(clang::SourceLocation::getFromRawEncoding(raw));
  bool invalid = false;
  llvm::StringRef buf = sm().getBufferData(sm().getFileID(l), &invalid);
  if (invalid) return false;
  unsigned line = sm().getExpansionLineNumber(l);
  return IsSuppressed(std::string_view(buf.data(), buf.size()), line, FindingKindId(kind));
}

void TuContext::Report(Finding f, unsigned primary_raw) {
  if (Suppressed(primary_raw, f.kind)) return;
  std::string key = f.rule + ":" + f.primary.file + ":" + std::to_string(f.primary.line) + ":" +
                    std::to_string(f.primary.column);
  if (!reported_.insert(key).second) return;
  // No fingerprint here: `pyrace lint` gives every finding, C or Python, its baseline one.
  findings_.push_back(std::move(f));
}

// A C lock taken (blocking) while the GIL is held, and held elsewhere while the GIL is
// taken: each side waits for the other.
void TuContext::CheckLockOrder() {
  std::map<std::string, const LockEdge*> gil_then_lock;
  std::map<std::string, const LockEdge*> lock_then_gil;
  for (const LockEdge& e : edges_) {
    auto& m = e.gil_then_lock ? gil_then_lock : lock_then_gil;
    const LockEdge*& slot = m[e.lock_id];
    // The representative: a direct acquire over one seen through a call, then the first.
    bool better = !slot || (slot->via_call && !e.via_call) ||
                  (slot->via_call == e.via_call &&
                   sm().isBeforeInTranslationUnit(clang::SourceLocation::getFromRawEncoding(e.loc),
                                                  clang::SourceLocation::getFromRawEncoding(slot->loc)));
    if (better) slot = &e;
  }
  for (const auto& [id, first] : gil_then_lock) {
    auto it = lock_then_gil.find(id);
    if (it == lock_then_gil.end()) continue;
    const LockEdge* second = it->second;
    Finding f;
    f.kind = FindingKind::kLockOrderInversion;
    f.rule = "PYC030";
    f.message = "lock-order inversion between the GIL and " + first->lock_text + ": " +
                first->fn->getNameAsString() + "() blocks on it holding the GIL, " +
                second->fn->getNameAsString() + "() takes the GIL holding it";
    f.primary = Loc(first->loc, first->fn);
    f.sections.push_back({first->lock_text + " acquired while holding the GIL here",
                          {Loc(first->loc, first->fn)}});
    if (second->held_loc) {
      f.sections.push_back({first->lock_text + " acquired here", {Loc(second->held_loc, second->fn)}});
    }
    f.sections.push_back({"GIL taken while holding " + first->lock_text + " here",
                          {Loc(second->loc, second->fn)}});
    f.notes.push_back("release the GIL while blocking on the lock (Py_BEGIN_ALLOW_THREADS around "
                      "the acquire), or release the lock before taking the GIL");
    Report(std::move(f), first->loc);
  }
}

}  // namespace pyrace::clint
