#include "instrument/clang/function_walk.h"

#include <deque>
#include <map>
#include <optional>
#include <unordered_set>

#include "clang/AST/ASTContext.h"
#include "clang/AST/Expr.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/Stmt.h"
#include "clang/Analysis/CFG.h"
#include "clang/Lex/Lexer.h"
#include "instrument/clang/conditions.h"
#include "instrument/clang/gil_api.h"

namespace pyrace::clint {
namespace {

using clang::dyn_cast;

// States kept per CFG block before new ones are dropped: bounds the walk on functions
// with many independent branch variables (never reached on CPython's Modules/).
constexpr size_t kMaxStatesPerBlock = 256;
constexpr size_t kMaxEnsureDepth = 3;

bool IsSaveThreadCall(const clang::Expr* e) {
  const auto* ce = dyn_cast_or_null<clang::CallExpr>(Strip(e));
  const clang::FunctionDecl* fd = ce ? ce->getDirectCallee() : nullptr;
  return fd && fd->getIdentifier() && fd->getName() == "PyEval_SaveThread";
}

// The local a statement stores PyEval_SaveThread()'s result in, if any.
const clang::VarDecl* SavedStateVar(const clang::Stmt* s) {
  if (const auto* bo = dyn_cast<clang::BinaryOperator>(s)) {
    if (bo->getOpcode() == clang::BO_Assign && IsSaveThreadCall(bo->getRHS())) {
      return LocalVar(bo->getLHS());
    }
  }
  if (const auto* ds = dyn_cast<clang::DeclStmt>(s); ds && ds->isSingleDecl()) {
    const auto* vd = dyn_cast<clang::VarDecl>(ds->getSingleDecl());
    if (vd && vd->hasLocalStorage() && IsSaveThreadCall(vd->getInit())) return vd;
  }
  return nullptr;
}

bool IsRefcountMember(const clang::Expr* e) {
  const auto* me = dyn_cast<clang::MemberExpr>(Strip(e));
  return me && me->getMemberDecl()->getName() == "ob_refcnt";
}

class Walker {
 public:
  Walker(TuContext& tu, const clang::FunctionDecl* fd, Gil entry)
      : tu_(tu), ctx_(tu.ctx()), sm_(tu.sm()), fd_(fd), entry_(entry) {}

  WalkResult Run();

 private:
  struct Item {
    const clang::CFGBlock* block;
    CPathState state;
  };

  // ---- setup
  void Prescan();
  void CountConditionKey(const clang::Expr* cond, std::map<std::string, int>* n);

  // ---- transfer
  bool Element(const clang::Stmt* s, CPathState& st);  // false: the path ends here
  void Call(const clang::CallExpr* ce, CPathState& st);
  void ApiUse(const clang::CallExpr* ce, CallRole role, CPathState& st);
  void SaveThread(const clang::CallExpr* ce, CPathState& st);
  void TakeGil(const clang::CallExpr* ce, bool ensure, CPathState& st);
  void GilStateRelease(CPathState& st);
  void LockAcquire(const clang::CallExpr* ce, CPathState& st);
  void LockTry(const clang::CallExpr* ce, const std::string& name, CPathState& st);
  void LockRelease(const clang::CallExpr* ce, CPathState& st);
  void LockDestroy(const clang::CallExpr* ce, CPathState& st);
  void HelperCall(const clang::CallExpr* ce, const clang::FunctionDecl* callee, CPathState& st);
  void HelperAt(unsigned loc, const clang::FunctionDecl* callee, CPathState& st);
  void Constructed(const clang::CXXConstructExpr* cc, CPathState& st);
  void Destroyed(const clang::CFGImplicitDtor& d, CPathState& st);
  void Assign(const clang::VarDecl* var, const clang::Expr* lhs, const clang::Expr* rhs,
              CPathState& st);
  void RefcountWrite(const clang::Expr* e, CPathState& st);
  void Written(const clang::Expr* lhs, CPathState& st);  // forget facts about what changed
  void HandOff(const clang::Expr* rhs, CPathState& st);  // a held lock stored for someone else
  void Return(const clang::ReturnStmt* rs, CPathState& st);
  void ExitChecks(unsigned loc, CPathState& st);
  void ExitLocks(const CPathState& st);
  void EmitMissedReleases();
  void Goto(const clang::GotoStmt* g, CPathState& st);
  void Successors(const clang::CFGBlock* b, CPathState st);
  std::optional<CPathState> Refine(const clang::Expr* cond, const clang::Stmt* terminator,
                                  bool branch, CPathState st);

  // ---- helpers
  unsigned Raw(clang::SourceLocation l) const { return l.getRawEncoding(); }
  unsigned CallLoc(const clang::Expr* e) const {
    return Raw(sm_.getExpansionLoc(e->getBeginLoc()));
  }
  bool InAssert(clang::SourceLocation l) const;
  std::string WrittenName(const clang::CallExpr* ce, llvm::StringRef callee) const;
  PathLock LockOf(const clang::Expr* arg, unsigned loc) const {
    return LockOfExpr(ctx_, fd_, arg, loc);
  }
  std::string LockOfVar(const clang::VarDecl* v) const {
    return v->hasLocalStorage() ? "fn:" + fd_->getNameAsString() + ":" + v->getNameAsString()
                                : v->getNameAsString();
  }
  void ThreadStart(const clang::CallExpr* ce, CPathState& st);
  bool Tracked(const std::string& key) const { return tracked_.count(key) > 0; }
  void Emit(FindingKind kind, const char* rule, unsigned primary, std::string message,
            std::vector<std::pair<std::string, unsigned>> sections, std::string note);

  TuContext& tu_;
  clang::ASTContext& ctx_;
  clang::SourceManager& sm_;
  const clang::FunctionDecl* fd_;
  Gil entry_;
  std::unique_ptr<clang::CFG> cfg_;
  std::unordered_set<std::string> tracked_;  // fact keys worth a path split
  std::set<std::string> released_locks_;  // lock ids this function releases somewhere
  const clang::CallExpr* last_save_ = nullptr;
  const clang::CallExpr* last_ensure_ = nullptr;
  WalkResult result_;
  bool all_exits_released_ = true;
  bool all_exits_held_ = true;
  bool any_exit_ = false;
  std::map<std::string, std::string> exit_held_;  // lock id -> text, held on every exit
  std::set<std::string> exit_released_;           // released unheld on every exit
  std::map<std::string, std::pair<PathLock, unsigned>> missed_;  // lock id -> (lock, exit)
};

WalkResult Walker::Run() {
  clang::CFG::BuildOptions bo;
  bo.setAllAlwaysAdd();
  bo.AddImplicitDtors = true;  // C++ scope guards release/take the GIL in destructors
  bo.AddInitializers = true;
  cfg_ = clang::CFG::buildCFG(fd_, fd_->getBody(), &ctx_, bo);
  if (!cfg_) return std::move(result_);
  Prescan();

  std::vector<std::unordered_set<std::string>> seen(cfg_->getNumBlockIDs());
  std::deque<Item> work;
  CPathState init;
  init.gil = entry_;
  work.push_back({&cfg_->getEntry(), init});
  while (!work.empty()) {
    Item it = std::move(work.front());
    work.pop_front();
    auto& s = seen[it.block->getBlockID()];
    if (s.size() >= kMaxStatesPerBlock) {
      result_.capped = true;
      continue;
    }
    if (!s.insert(it.state.Key()).second) continue;
    ++result_.states;
    CPathState st = it.state;
    bool alive = true;
    for (const clang::CFGElement& el : *it.block) {
      if (auto cs = el.getAs<clang::CFGStmt>()) {
        if (!Element(cs->getStmt(), st)) {
          alive = false;
          break;
        }
      } else if (auto dtor = el.getAs<clang::CFGImplicitDtor>()) {
        Destroyed(*dtor, st);
      }
    }
    if (!alive || it.block->hasNoReturnElement()) continue;
    if (it.block == &cfg_->getExit()) {
      ExitChecks(Raw(sm_.getExpansionLoc(fd_->getBody()->getEndLoc())), st);
      continue;
    }
    if (const auto* g = dyn_cast_or_null<clang::GotoStmt>(it.block->getTerminatorStmt())) {
      Goto(g, st);
    }
    const clang::Expr* cond = it.block->getLastCondition();
    if (cond && it.block->succ_size() == 2) {
      int i = 0;
      for (const clang::CFGBlock::AdjacentBlock& succ : it.block->succs()) {
        bool branch = i++ == 0;
        if (!succ.getReachableBlock()) continue;
        if (std::optional<CPathState> ns = Refine(cond, it.block->getTerminatorStmt(), branch, st)) {
          work.push_back({succ.getReachableBlock(), std::move(*ns)});
        }
      }
      continue;
    }
    if (it.block->getTerminatorStmt() && !IsExpressionBranch(it.block->getTerminatorStmt())) {
      st.ClearExpressionFacts();
    }
    for (const clang::CFGBlock::AdjacentBlock& succ : it.block->succs()) {
      if (succ.getReachableBlock()) work.push_back({succ.getReachableBlock(), st});
    }
  }
  EmitMissedReleases();
  for (const auto& [id, text] : exit_held_) result_.summary.net_acquires.push_back({id, text});
  result_.summary.net_releases.assign(exit_released_.begin(), exit_released_.end());
  if (any_exit_ && all_exits_released_) result_.summary.effect = Summary::Effect::kReleases;
  if (any_exit_ && all_exits_held_ && entry_ == Gil::kUnknown) {
    result_.summary.effect = Summary::Effect::kAcquires;
  }
  return std::move(result_);
}

// Branch variables worth tracking: those tested more than once (their second test is
// correlated with the first) and those holding a saved thread state.
void Walker::Prescan() {
  std::map<std::string, int> n;
  for (const clang::CFGBlock* b : *cfg_) {
    if (const clang::Expr* c = b->getLastCondition()) CountConditionKey(c, &n);
    for (const clang::CFGElement& el : *b) {
      auto cs = el.getAs<clang::CFGStmt>();
      if (!cs) continue;
      const auto* ce = dyn_cast<clang::CallExpr>(cs->getStmt());
      const clang::FunctionDecl* callee = ce ? ce->getDirectCallee() : nullptr;
      if (!callee || !callee->getIdentifier()) continue;
      if (ce->getNumArgs() > 0 &&
          ClassifyCall(callee->getName(), false) == CallRole::kLockRelease) {
        released_locks_.insert(LockOf(ce->getArg(0), 0).id);
      }
      const clang::FunctionDecl* def = callee->getDefinition();
      if (def && def != fd_ && tu_.Analyzable(def)) {  // an unlock helper
        for (const std::string& id : tu_.SummaryOf(def).net_releases) released_locks_.insert(id);
      }
    }
    for (const clang::CFGElement& el : *b) {
      auto cs = el.getAs<clang::CFGStmt>();
      const auto* bo = cs ? dyn_cast<clang::BinaryOperator>(cs->getStmt()) : nullptr;
      if (bo && bo->getOpcode() == clang::BO_Assign && ConstantOf(Strip(bo->getRHS()), ctx_)) {
        // `*pmutex = NULL; ... if (*pmutex == NULL)`: a constant store decides a later test
        if (std::optional<std::string> k = FactKey(bo->getLHS(), ctx_)) ++n[*k];
      }
      if (const clang::VarDecl* v = cs ? SavedStateVar(cs->getStmt()) : nullptr) {
        n[VarToken(v)] += 2;  // `if (_save) PyEval_RestoreThread(_save)` follows its assignments
      }
    }
  }
  for (const auto& [v, count] : n) {
    if (count >= 2) tracked_.insert(v);
  }
}

void Walker::CountConditionKey(const clang::Expr* cond, std::map<std::string, int>* n) {
  Atom a = ParseAtom(cond, ctx_);
  if (std::optional<std::string> k = FactKey(a.base, ctx_)) ++(*n)[*k];
}

bool Walker::Element(const clang::Stmt* s, CPathState& st) {
  if (const auto* ce = dyn_cast<clang::CallExpr>(s)) {
    Call(ce, st);
    return true;
  }
  if (const auto* cc = dyn_cast<clang::CXXConstructExpr>(s)) {
    Constructed(cc, st);
    return true;
  }
  if (const auto* rs = dyn_cast<clang::ReturnStmt>(s)) {
    Return(rs, st);
    return false;
  }
  if (const auto* ds = dyn_cast<clang::DeclStmt>(s)) {
    for (const clang::Decl* d : ds->decls()) {
      const auto* vd = dyn_cast<clang::VarDecl>(d);
      if (vd && vd->hasInit()) Assign(vd, nullptr, vd->getInit(), st);
    }
    return true;
  }
  if (const auto* bo = dyn_cast<clang::BinaryOperator>(s)) {
    if (bo->getOpcode() == clang::BO_Assign) {
      Assign(LocalVar(bo->getLHS()), bo->getLHS(), bo->getRHS(), st);
    } else if (bo->isCompoundAssignmentOp()) {
      Written(bo->getLHS(), st);
      RefcountWrite(bo->getLHS(), st);
    }
    return true;
  }
  if (const auto* uo = dyn_cast<clang::UnaryOperator>(s)) {
    if (uo->isIncrementDecrementOp() || uo->getOpcode() == clang::UO_AddrOf) {
      Written(uo->getSubExpr(), st);
    }
    if (uo->isIncrementDecrementOp()) RefcountWrite(uo->getSubExpr(), st);
  }
  return true;
}

bool Walker::InAssert(clang::SourceLocation l) const {
  while (l.isMacroID()) {
    llvm::StringRef name = clang::Lexer::getImmediateMacroName(l, sm_, ctx_.getLangOpts());
    if (name == "assert" || name == "_PyObject_ASSERT" || name == "_PyObject_ASSERT_WITH_MSG") {
      return true;
    }
    l = sm_.getImmediateMacroCallerLoc(l);
  }
  return false;
}

std::string Walker::WrittenName(const clang::CallExpr* ce, llvm::StringRef callee) const {
  if (!ce->getBeginLoc().isMacroID()) return callee.str();
  std::string macro = tu_.TextAt(CallLoc(ce));
  if (macro.empty() || macro == callee) return callee.str();
  return macro + " (" + callee.str() + ")";
}

void Walker::Call(const clang::CallExpr* ce, CPathState& st) {
  const clang::FunctionDecl* callee = ce->getDirectCallee();
  if (!callee || !callee->getIdentifier()) return;
  if (InAssert(ce->getBeginLoc())) return;
  llvm::StringRef name = callee->getName();
  bool py = tu_.InPythonHeaders(callee);
  CallRole role = ClassifyCall(name, py);
  switch (role) {
    case CallRole::kApi:
    case CallRole::kRefcount: ApiUse(ce, role, st); return;
    case CallRole::kSaveThread: SaveThread(ce, st); return;
    case CallRole::kRestoreThread: TakeGil(ce, false, st); return;
    case CallRole::kGilStateEnsure: TakeGil(ce, true, st); return;
    case CallRole::kGilStateRelease: GilStateRelease(st); return;
    case CallRole::kReleaseThread:
      st.gil = Gil::kReleased;
      st.gil_released_at = CallLoc(ce);
      st.token = nullptr;
      st.token_escaped = true;
      return;
    case CallRole::kLockAcquire: LockAcquire(ce, st); return;
    case CallRole::kLockTryAcquire: LockTry(ce, name.str(), st); return;
    case CallRole::kLockRelease: LockRelease(ce, st); return;
    case CallRole::kLockDestroy: LockDestroy(ce, st); return;
    case CallRole::kThreadStart: ThreadStart(ce, st); return;
    case CallRole::kGilFree: return;
    case CallRole::kOther: break;
  }
  const clang::FunctionDecl* def = callee->getDefinition();
  if (def && def != fd_ && tu_.Analyzable(def)) HelperCall(ce, def, st);
}

void Walker::ApiUse(const clang::CallExpr* ce, CallRole role, CPathState& st) {
  unsigned loc = CallLoc(ce);
  std::string what = WrittenName(ce, ce->getDirectCallee()->getName());
  if (st.gil == Gil::kAssumed && !result_.summary.needs_gil) {
    result_.summary.needs_gil = true;
    result_.summary.need_loc = loc;
    result_.summary.need_what = what;
  }
  if (!GilMayBeMissing(st.gil)) return;
  bool refcount = role == CallRole::kRefcount;
  std::string msg = refcount ? what + " changes a reference count without holding the GIL"
                             : what + " is called without holding the GIL";
  std::vector<std::pair<std::string, unsigned>> sections;
  if (st.gil == Gil::kReleased && st.gil_released_at) {
    sections.push_back({"GIL released here (" + tu_.TextAt(st.gil_released_at) + ")",
                        st.gil_released_at});
  } else {
    msg += " (this function takes the GIL itself, so its callers may not hold it)";
  }
  Emit(FindingKind::kGilNotHeld, refcount ? "PYC001" : "PYC002", loc, msg, sections,
       "hold the GIL here: move the call after Py_END_ALLOW_THREADS (or Py_BLOCK_THREADS), "
       "or wrap it in PyGILState_Ensure()/PyGILState_Release()");
}

void Walker::SaveThread(const clang::CallExpr* ce, CPathState& st) {
  unsigned loc = CallLoc(ce);
  if (st.gil == Gil::kReleased) {
    Emit(FindingKind::kGilStateLeak, "PYC012", loc,
         tu_.TextAt(loc) + " releases the GIL a second time: it was already released",
         {{"GIL released here (" + tu_.TextAt(st.gil_released_at) + ")", st.gil_released_at}},
         "restore the thread state (Py_END_ALLOW_THREADS) before releasing the GIL again");
  }
  st.gil = Gil::kReleased;
  st.gil_released_at = loc;
  st.token = nullptr;
  st.token_escaped = true;  // until bound to a local by the assignment that follows
  result_.release_sites.insert(loc);
  last_save_ = ce;
}

void Walker::TakeGil(const clang::CallExpr* ce, bool ensure, CPathState& st) {
  unsigned loc = CallLoc(ce);
  if (st.gil == Gil::kAssumed) result_.entry_gil_taken = true;
  if (!result_.summary.takes_gil) {
    result_.summary.takes_gil = true;
    result_.summary.takes_gil_loc = loc;
  }
  for (const PathLock& l : st.locks) {
    if (l.id.rfind("fn:", 0) == 0) continue;
    result_.edges.push_back({false, l.id, l.text, loc, l.acquire, fd_});
  }
  if (ensure) {
    if (st.ensures.size() < kMaxEnsureDepth) st.ensures.push_back({st.gil, loc, true});
    last_ensure_ = ce;
  } else if (st.gil == Gil::kHeld) {
    Emit(FindingKind::kGilStateLeak, "PYC013", loc,
         tu_.TextAt(loc) + " takes the GIL this thread already holds: it blocks forever", {},
         "take the GIL only after releasing it (PyEval_SaveThread / Py_BEGIN_ALLOW_THREADS)");
  }
  st.gil = Gil::kHeld;
  st.token = nullptr;
  st.token_escaped = false;
}

void Walker::GilStateRelease(CPathState& st) {
  if (st.ensures.empty()) {
    st.gil = Gil::kUnknown;  // releases an Ensure made by the caller
    return;
  }
  st.gil = st.ensures.back().before == Gil::kAssumed ? Gil::kAssumed : st.ensures.back().before;
  st.ensures.pop_back();
}

void Walker::LockAcquire(const clang::CallExpr* ce, CPathState& st) {
  if (ce->getNumArgs() == 0) return;
  unsigned loc = CallLoc(ce);
  PathLock l = LockOf(ce->getArg(0), loc);
  bool fresh = std::find(st.fresh.begin(), st.fresh.end(), l.id) != st.fresh.end();
  if (l.id.rfind("fn:", 0) != 0 && !fresh) {  // a lock nobody else has seen cannot block
    if (st.gil == Gil::kAssumed) result_.summary.blocking_locks.push_back({l.id, loc});
    if (st.gil == Gil::kAssumed || st.gil == Gil::kHeld) {
      result_.edges.push_back({true, l.id, l.text, loc, 0, fd_});
    }
  }
  st.AddLock(std::move(l));
}

void Walker::LockTry(const clang::CallExpr* ce, const std::string& name, CPathState& st) {
  if (ce->getNumArgs() == 0) return;
  TryKind kind = TryKind::kZeroIsSuccess;
  if (name == "PyThread_acquire_lock") {
    kind = TryKind::kNonzeroIsSuccess;
    std::optional<int64_t> wait =
        ce->getNumArgs() > 1 ? ConstantOf(ce->getArg(1), ctx_) : std::nullopt;
    if (wait && *wait != 0) return LockAcquire(ce, st);  // WAIT_LOCK always succeeds
  } else if (name == "PyThread_acquire_lock_timed") {
    kind = TryKind::kOneIsSuccess;
    std::optional<int64_t> timeout =
        ce->getNumArgs() > 2 ? ConstantOf(ce->getArg(1), ctx_) : std::nullopt;
    std::optional<int64_t> intr =
        ce->getNumArgs() > 2 ? ConstantOf(ce->getArg(2), ctx_) : std::nullopt;
    if (timeout && *timeout < 0 && intr && *intr == 0) return LockAcquire(ce, st);
  } else if (name == "PyMutex_LockFast") {
    kind = TryKind::kNonzeroIsSuccess;
  }
  PendingTry t;
  t.call = ce;
  t.kind = kind;
  t.lock = LockOf(ce->getArg(0), CallLoc(ce));
  std::erase_if(st.tries, [&](const PendingTry& p) { return p.var == nullptr; });
  st.tries.push_back(std::move(t));
}

void Walker::LockRelease(const clang::CallExpr* ce, CPathState& st) {
  if (ce->getNumArgs() == 0) return;
  std::string id = LockOf(ce->getArg(0), 0).id;
  size_t pending = st.tries.size();
  std::erase_if(st.tries, [&](const PendingTry& t) { return t.lock.id == id; });
  bool was_pending = st.tries.size() != pending;
  if (!st.RemoveLock(id) && !was_pending &&
      std::find(st.released_unheld.begin(), st.released_unheld.end(), id) ==
          st.released_unheld.end()) {
    // Held on entry (a semaphore-style hand-off): taking it again before returning is
    // how this function restores what it found.
    st.released_unheld.push_back(id);
  }
}

void Walker::LockDestroy(const clang::CallExpr* ce, CPathState& st) {
  if (ce->getNumArgs() == 0) return;
  std::string id = LockOf(ce->getArg(0), 0).id;
  st.RemoveLock(id);
  std::erase_if(st.tries, [&](const PendingTry& t) { return t.lock.id == id; });
}

// Locks held when a thread starts whose function releases them are handed to that thread.
void Walker::ThreadStart(const clang::CallExpr* ce, CPathState& st) {
  st.fresh.clear();
  int idx = ThreadFunctionArgIndex(ce->getDirectCallee()->getName());
  if (idx < 0 || static_cast<unsigned>(idx) >= ce->getNumArgs()) return;
  const clang::Expr* arg = Strip(ce->getArg(static_cast<unsigned>(idx)));
  if (const auto* u = dyn_cast<clang::UnaryOperator>(arg)) arg = Strip(u->getSubExpr());
  const auto* dre = dyn_cast<clang::DeclRefExpr>(arg);
  const auto* fn = dre ? dyn_cast<clang::FunctionDecl>(dre->getDecl()) : nullptr;
  if (!fn || !fn->getDefinition()) return;
  const std::set<std::string>& released = tu_.LockReleasesIn(fn->getDefinition());
  std::erase_if(st.locks, [&](const PathLock& l) { return released.count(l.id) > 0; });
}

void Walker::HelperCall(const clang::CallExpr* ce, const clang::FunctionDecl* callee,
                        CPathState& st) {
  HelperAt(CallLoc(ce), callee, st);
}

// C++ objects: a constructor or destructor of this TU acts like any other helper, so a
// guard that releases the GIL in its constructor and takes it back in its destructor
// (pybind11's gil_scoped_release shape) opens and closes a region at the braces.
void Walker::Constructed(const clang::CXXConstructExpr* cc, CPathState& st) {
  const clang::FunctionDecl* def = cc->getConstructor()->getDefinition();
  if (def && def != fd_ && tu_.Analyzable(def)) HelperAt(CallLoc(cc), def, st);
}

void Walker::Destroyed(const clang::CFGImplicitDtor& d, CPathState& st) {
  const clang::CXXDestructorDecl* dd = d.getDestructorDecl(ctx_);
  const clang::FunctionDecl* def = dd ? dd->getDefinition() : nullptr;
  if (!def || def == fd_ || !tu_.Analyzable(def)) return;
  clang::SourceLocation at = fd_->getBody()->getEndLoc();
  if (auto a = d.getAs<clang::CFGAutomaticObjDtor>()) at = a->getTriggerStmt()->getEndLoc();
  HelperAt(Raw(sm_.getExpansionLoc(at)), def, st);
}

void Walker::HelperAt(unsigned loc, const clang::FunctionDecl* callee, CPathState& st) {
  const Summary& s = tu_.SummaryOf(callee);
  st.fresh.clear();  // the helper may share any lock created so far
  if (s.needs_gil && st.gil == Gil::kAssumed && !result_.summary.needs_gil) {
    result_.summary.needs_gil = true;
    result_.summary.need_loc = loc;
    result_.summary.need_what = callee->getNameAsString() + "()";
  }
  if (s.needs_gil && GilMayBeMissing(st.gil)) {
    std::vector<std::pair<std::string, unsigned>> sections;
    if (st.gil_released_at) {
      sections.push_back({"GIL released here (" + tu_.TextAt(st.gil_released_at) + ")",
                          st.gil_released_at});
    }
    sections.push_back({callee->getNameAsString() + "() uses the C API here (" + s.need_what + ")",
                        s.need_loc});
    Emit(FindingKind::kGilNotHeld, "PYC003", loc,
         callee->getNameAsString() + "() needs the GIL and is called without it", sections,
         "call it while holding the GIL, or make it take the GIL itself (PyGILState_Ensure)");
  }
  if (s.takes_gil) {
    for (const PathLock& l : st.locks) {
      if (l.id.rfind("fn:", 0) == 0) continue;
      result_.edges.push_back({false, l.id, l.text, loc, l.acquire, fd_, true});
    }
  }
  if (st.gil == Gil::kAssumed || st.gil == Gil::kHeld) {
    for (const auto& [id, at] : s.blocking_locks) {
      result_.edges.push_back({true, id, id, loc, at, fd_, true});
    }
  }
  for (const std::string& id : s.net_releases) {
    if (!st.RemoveLock(id) && std::find(st.released_unheld.begin(), st.released_unheld.end(),
                                        id) == st.released_unheld.end()) {
      st.released_unheld.push_back(id);
    }
  }
  for (const auto& [id, text] : s.net_acquires) {
    st.AddLock({id, text + " (taken by " + callee->getNameAsString() + "())", loc});
  }
  if (s.effect == Summary::Effect::kReleases) {
    st.gil = Gil::kReleased;
    st.gil_released_at = loc;
    st.token = nullptr;
    st.token_escaped = true;
  } else if (s.effect == Summary::Effect::kAcquires) {
    st.gil = Gil::kHeld;
  }
}

void Walker::Assign(const clang::VarDecl* var, const clang::Expr* lhs, const clang::Expr* rhs,
                    CPathState& st) {
  const clang::Expr* r = Strip(rhs);
  if (lhs && IsRefcountMember(lhs)) RefcountWrite(lhs, st);
  if (var) st.KillVar(var);
  if (lhs && !var) Written(lhs, st);
  bool local = var && var->hasLocalStorage();
  if (!local && !st.locks.empty()) HandOff(r, st);
  if (const auto* call = dyn_cast_or_null<clang::CallExpr>(r); call && (var || lhs)) {
    const clang::FunctionDecl* callee = call->getDirectCallee();
    if (callee && callee->getIdentifier() && callee->getName() == "PyThread_allocate_lock") {
      st.fresh.push_back(var ? LockOfVar(var) : LockOf(lhs, 0).id);
    }
  }
  if (r == last_save_ && last_save_) {
    if (local) {
      st.token = var;
      st.token_escaped = false;
      tracked_.insert(VarToken(var));
      st.SetFact(VarToken(var), true);
    }
    return;
  }
  if (r == last_ensure_ && last_ensure_ && local && !st.ensures.empty()) {
    st.ensures.back().escaped = false;
    st.ensures.back().var = var;
    return;
  }
  if (!local) {
    // The PyGILState_STATE stored for someone else to release.
    for (EnsureEntry& e : st.ensures) {
      if (e.var && LocalVar(r) == e.var) e.escaped = true;
    }
  }
  for (PendingTry& t : st.tries) {
    if (t.call == r && local) {
      t.call = nullptr;
      t.var = var;
      return;
    }
  }
  if (st.token && LocalVar(r) == st.token && !local) st.token_escaped = true;
  std::optional<std::string> key = var ? std::optional<std::string>(VarToken(var))
                                       : (lhs ? FactKey(lhs, ctx_) : std::nullopt);
  if (key && Tracked(*key)) {
    if (std::optional<int64_t> c = ConstantOf(r, ctx_)) st.SetFact(*key, *c != 0);
  }
}

void Walker::Written(const clang::Expr* lhs, CPathState& st) {
  if (const clang::VarDecl* v = LocalVar(lhs)) {
    st.KillVar(v);
  } else if (std::optional<std::string> k = FactKey(lhs, ctx_)) {
    st.KillKeysContaining(*k);
  }
}

// `*pmutex = channels->mutex`: the lock now belongs to whoever reads it there.
void Walker::HandOff(const clang::Expr* rhs, CPathState& st) {
  const clang::Expr* e = Strip(rhs);
  if (!clang::isa<clang::MemberExpr, clang::DeclRefExpr>(e)) return;
  if (!e->getType()->isPointerType()) return;
  st.RemoveLock(LockOf(e, 0).id);
}

void Walker::RefcountWrite(const clang::Expr* e, CPathState& st) {
  if (!IsRefcountMember(e)) return;
  unsigned loc = Raw(sm_.getExpansionLoc(e->getBeginLoc()));
  if (st.gil == Gil::kAssumed && !result_.summary.needs_gil) {
    result_.summary.needs_gil = true;
    result_.summary.need_loc = loc;
    result_.summary.need_what = "ob_refcnt";
  }
  if (!GilMayBeMissing(st.gil)) return;
  std::vector<std::pair<std::string, unsigned>> sections;
  if (st.gil_released_at) {
    sections.push_back({"GIL released here (" + tu_.TextAt(st.gil_released_at) + ")",
                        st.gil_released_at});
  }
  Emit(FindingKind::kGilNotHeld, "PYC001", loc,
       "ob_refcnt is changed without holding the GIL", sections,
       "change reference counts only while holding the GIL");
}

void Walker::Return(const clang::ReturnStmt* rs, CPathState& st) {
  const clang::Expr* v = Strip(rs->getRetValue());
  if (v && ((v == last_save_ && last_save_) || (st.token && LocalVar(v) == st.token))) {
    st.token_escaped = true;
  }
  if (v && v == last_ensure_ && !st.ensures.empty()) st.ensures.back().escaped = true;
  for (EnsureEntry& e : st.ensures) {
    if (v && e.var && LocalVar(v) == e.var) e.escaped = true;  // a wrapper: its caller releases
  }
  ExitChecks(Raw(sm_.getExpansionLoc(rs->getBeginLoc())), st);
}

// What every exit agrees on about C locks, for the caller's summary.
void Walker::ExitLocks(const CPathState& st) {
  std::map<std::string, std::string> held;
  for (const PathLock& l : st.locks) {
    if (l.id.rfind("fn:", 0) != 0) held[l.id] = l.text;
  }
  std::set<std::string> released(st.released_unheld.begin(), st.released_unheld.end());
  std::erase_if(released, [](const std::string& id) { return id.rfind("fn:", 0) == 0; });
  if (!any_exit_) {
    exit_held_ = held;
    exit_released_ = released;
    return;
  }
  std::erase_if(exit_held_, [&](const auto& kv) { return !held.count(kv.first); });
  std::erase_if(exit_released_, [&](const std::string& id) { return !released.count(id); });
}

void Walker::ExitChecks(unsigned loc, CPathState& st) {
  ExitLocks(st);
  any_exit_ = true;
  if (st.gil != Gil::kReleased) all_exits_released_ = false;
  if (st.gil != Gil::kHeld) all_exits_held_ = false;
  if (st.gil == Gil::kReleased && st.token && !st.token_escaped) {
    Emit(FindingKind::kGilStateLeak, "PYC010", loc,
         "returns with the GIL released: the thread state saved by " +
             tu_.TextAt(st.gil_released_at) + " is never restored",
         {{"GIL released here (" + tu_.TextAt(st.gil_released_at) + ")", st.gil_released_at},
          {"returned here", loc}},
         "restore the GIL before returning (Py_END_ALLOW_THREADS / Py_BLOCK_THREADS)");
  }
  for (const EnsureEntry& e : st.ensures) {
    if (e.escaped) continue;
    Emit(FindingKind::kGilStateLeak, "PYC011", loc,
         "returns without PyGILState_Release for the PyGILState_Ensure on line " +
             std::to_string(tu_.Loc(e.loc, fd_).line),
         {{"PyGILState_Ensure here", e.loc}, {"returned here", loc}},
         "call PyGILState_Release(state) on every path out of the function");
  }
  for (const PathLock& l : st.locks) {
    if (!released_locks_.count(l.id)) continue;  // a lock helper: its caller releases
    if (std::find(st.released_unheld.begin(), st.released_unheld.end(), l.id) !=
        st.released_unheld.end()) {
      continue;  // released first, taken again: it leaves as it came
    }
    auto [it, fresh] = missed_.try_emplace(l.id, l, loc);
    if (!fresh && sm_.isBeforeInTranslationUnit(
                      clang::SourceLocation::getFromRawEncoding(l.acquire),
                      clang::SourceLocation::getFromRawEncoding(it->second.first.acquire))) {
      it->second = {l, loc};
    }
  }
}

// One missed-release per lock and function, at its first acquire: paths that took the
// lock at different calls (try, then block) are one mistake.
void Walker::EmitMissedReleases() {
  for (const auto& [id, m] : missed_) {
    const PathLock& l = m.first;
    Emit(FindingKind::kMissedRelease, "PYC020", l.acquire,
         "lock " + l.text + " is still held when the function returns on some path",
         {{"lock " + l.text + " acquired here", l.acquire}, {"returned here", m.second}},
         "release the lock on every path out of the function (e.g. a single exit label)");
  }
}

void Walker::Goto(const clang::GotoStmt* g, CPathState& st) {
  if (st.gil != Gil::kReleased || !st.token || st.token_escaped) return;
  auto parents = ctx_.getParents(*st.token);
  const clang::DeclStmt* ds = parents.empty() ? nullptr : parents[0].get<clang::DeclStmt>();
  if (!ds) return;
  auto pp = ctx_.getParents(*ds);
  const clang::CompoundStmt* scope = pp.empty() ? nullptr : pp[0].get<clang::CompoundStmt>();
  if (!scope) return;
  clang::SourceLocation label = g->getLabel()->getStmt()->getBeginLoc();
  clang::SourceRange r = scope->getSourceRange();
  clang::SourceLocation lb = sm_.getExpansionLoc(label);
  clang::SourceLocation b = sm_.getExpansionRange(r).getBegin();
  clang::SourceLocation e = sm_.getExpansionRange(r).getEnd();
  if (!sm_.isBeforeInTranslationUnit(lb, b) && !sm_.isBeforeInTranslationUnit(e, lb)) return;
  unsigned loc = Raw(sm_.getExpansionLoc(g->getBeginLoc()));
  Emit(FindingKind::kGilStateLeak, "PYC010", loc,
       "goto leaves the allow-threads region with the GIL released",
       {{"GIL released here (" + tu_.TextAt(st.gil_released_at) + ")", st.gil_released_at},
        {"jumps to label '" + g->getLabel()->getName().str() + "'", Raw(lb)}},
       "restore the GIL (Py_BLOCK_THREADS / Py_END_ALLOW_THREADS) before jumping out");
  st.gil = Gil::kHeld;  // reported once; the code after the label is judged as if fixed
}

std::optional<CPathState> Walker::Refine(const clang::Expr* cond, const clang::Stmt* terminator,
                                        bool branch, CPathState st) {
  if (std::optional<bool> known = EvalCondition(cond, st, ctx_)) {
    if (*known != branch) return std::nullopt;  // contradicts what this path decided
    if (!IsExpressionBranch(terminator)) st.ClearExpressionFacts();
    return st;
  }
  if (IsExpressionBranch(terminator)) {
    st.SetFact(ExprToken(Strip(cond)), branch);
    const auto* lop = dyn_cast<clang::BinaryOperator>(terminator);
    if (lop && lop->isLogicalOp() && branch == (lop->getOpcode() == clang::BO_LOr)) {
      st.SetFact(ExprToken(lop), branch);  // the short circuit decided the whole operator
    }
  } else {
    st.ClearExpressionFacts();
  }
  Atom a = ParseAtom(cond, ctx_);
  bool holds = branch != a.negated;
  const clang::VarDecl* v = LocalVar(a.base);
  for (auto it = st.tries.begin(); it != st.tries.end(); ++it) {
    bool match = (v && it->var == v) || (!it->var && it->call == a.base);
    if (!match) continue;
    std::optional<bool> ok = TrySucceeded(it->kind, a, holds);
    if (!ok) return st;
    PathLock l = it->lock;
    st.tries.erase(it);
    if (*ok) st.AddLock(std::move(l));
    return st;
  }
  std::optional<std::string> key = FactKey(a.base, ctx_);
  if (!key || !Tracked(*key)) return st;
  std::optional<bool> value;
  if (!a.eq) {
    value = holds;
  } else if (holds) {
    value = a.constant != 0;
  }
  if (!value) return st;
  if (const bool* known = st.Fact(*key)) {
    if (*known != *value) return std::nullopt;  // contradicts an earlier test: infeasible
    return st;
  }
  st.SetFact(*key, *value);
  return st;
}

void Walker::Emit(FindingKind kind, const char* rule, unsigned primary, std::string message,
                  std::vector<std::pair<std::string, unsigned>> sections, std::string note) {
  Finding f;
  f.kind = kind;
  f.severity = Severity::kError;
  f.rule = rule;
  f.message = std::move(message);
  f.primary = tu_.Loc(primary, fd_);
  for (auto& [title, raw] : sections) {
    if (!raw) continue;
    f.sections.push_back({std::move(title), {tu_.Loc(raw, fd_)}});
  }
  f.notes.push_back(std::move(note));
  result_.findings.push_back({std::move(f), primary});
}

}  // namespace

PathLock LockOfExpr(const clang::ASTContext& ctx, const clang::FunctionDecl* fd,
                    const clang::Expr* arg, unsigned loc) {
  const clang::SourceManager& sm = ctx.getSourceManager();
  PathLock l;
  l.acquire = loc;
  const clang::Expr* e = Strip(arg);
  if (const auto* u = dyn_cast<clang::UnaryOperator>(e); u && u->getOpcode() == clang::UO_AddrOf) {
    e = Strip(u->getSubExpr());
  }
  if (const auto* me = dyn_cast<clang::MemberExpr>(e)) {
    clang::QualType t = me->getBase()->getType();
    if (me->isArrow() && t->isPointerType()) t = t->getPointeeType();
    std::string type = t.getUnqualifiedType().getAsString();
    if (type.rfind("struct ", 0) == 0) type = type.substr(7);
    l.id = type + "." + me->getMemberDecl()->getNameAsString();
  } else if (const auto* dre = dyn_cast<clang::DeclRefExpr>(e)) {
    const auto* vd = dyn_cast<clang::VarDecl>(dre->getDecl());
    if (vd && !vd->hasLocalStorage()) l.id = vd->getNameAsString();
  }
  if (arg->getBeginLoc().isMacroID() && !l.id.empty()) {
    l.text = l.id;  // written inside a macro: the expansion's text would be the macro call
  } else {
    l.text = clang::Lexer::getSourceText(sm.getExpansionRange(arg->getSourceRange()), sm,
                                         ctx.getLangOpts())
                 .str();
  }
  if (l.id.empty()) l.id = "fn:" + fd->getNameAsString() + ":" + l.text;
  return l;
}

WalkResult WalkFunction(TuContext& tu, const clang::FunctionDecl* fd, Gil entry) {
  return Walker(tu, fd, entry).Run();
}

}  // namespace pyrace::clint
