#include "instrument/clang/conditions.h"

#include <cstdio>

#include "clang/AST/ASTContext.h"
#include "clang/AST/Expr.h"
#include "clang/AST/Stmt.h"

namespace pyrace::clint {

using clang::dyn_cast;

const clang::Expr* Strip(const clang::Expr* e) { return e ? e->IgnoreParenCasts() : nullptr; }

const clang::VarDecl* LocalVar(const clang::Expr* e) {
  const auto* dre = dyn_cast<clang::DeclRefExpr>(Strip(e));
  if (!dre) return nullptr;
  const auto* vd = dyn_cast<clang::VarDecl>(dre->getDecl());
  return vd && vd->hasLocalStorage() ? vd : nullptr;
}

// A pure expression of variables as a fact key: "v0x..;", "v0x..;->lock", "(v0x..;&#4)".
// Anything with a call in it has no key: its value may change under us.
std::optional<std::string> FactKey(const clang::Expr* e, const clang::ASTContext& ctx) {
  e = Strip(e);
  if (!e) return std::nullopt;
  if (const auto* dre = dyn_cast<clang::DeclRefExpr>(e)) {
    const auto* vd = dyn_cast<clang::VarDecl>(dre->getDecl());
    if (!vd || vd->getType().isVolatileQualified()) return std::nullopt;
    // Globals too: `if (tcl_lock) acquire(tcl_lock); ... if (tcl_lock) release(tcl_lock);`
    // assumes, like the code, that nobody swaps the global in between.
    return VarToken(vd);
  }
  if (const auto* me = dyn_cast<clang::MemberExpr>(e)) {
    std::optional<std::string> base = FactKey(me->getBase(), ctx);
    if (!base) return std::nullopt;
    return *base + (me->isArrow() ? "->" : ".") + me->getMemberDecl()->getNameAsString();
  }
  if (const auto* u = dyn_cast<clang::UnaryOperator>(e); u && u->getOpcode() == clang::UO_Deref) {
    std::optional<std::string> sub = FactKey(u->getSubExpr(), ctx);
    if (!sub) return std::nullopt;
    return "*" + *sub;
  }
  if (const auto* b = dyn_cast<clang::BinaryOperator>(e)) {
    if (!b->isBitwiseOp() && !b->isAdditiveOp() && !b->isShiftOp() && !b->isMultiplicativeOp()) {
      return std::nullopt;
    }
    std::optional<std::string> l = FactKey(b->getLHS(), ctx);
    std::optional<std::string> r = FactKey(b->getRHS(), ctx);
    if (!l || !r) return std::nullopt;
    return "(" + *l + b->getOpcodeStr().str() + *r + ")";
  }
  if (!e->isValueDependent() && e->getType()->isIntegralOrEnumerationType()) {
    clang::Expr::EvalResult r;
    if (e->EvaluateAsInt(r, ctx)) return "#" + std::to_string(r.Val.getInt().getExtValue());
  }
  return std::nullopt;
}

std::string ExprToken(const clang::Expr* e) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "e%p", static_cast<const void*>(e));
  return buf;
}

// Terminators inside one expression (?:, &&, ||): their operand values flow on to the
// enclosing condition, so the path remembers them until the statement ends.
bool IsExpressionBranch(const clang::Stmt* t) {
  if (!t) return false;
  if (clang::isa<clang::AbstractConditionalOperator>(t)) return true;
  const auto* b = dyn_cast<clang::BinaryOperator>(t);
  return b && b->isLogicalOp();
}

std::optional<int64_t> ConstantOf(const clang::Expr* e, const clang::ASTContext& ctx) {
  if (e->isValueDependent()) return std::nullopt;
  clang::Expr::EvalResult r;
  if (!e->EvaluateAsInt(r, ctx)) {
    if (e->isNullPointerConstant(const_cast<clang::ASTContext&>(ctx),
                                 clang::Expr::NPC_ValueDependentIsNotNull)) {
      return 0;
    }
    return std::nullopt;
  }
  return r.Val.getInt().getExtValue();
}

Atom ParseAtom(const clang::Expr* cond, const clang::ASTContext& ctx) {
  Atom a;
  const clang::Expr* e = Strip(cond);
  for (;;) {
    if (const auto* u = dyn_cast<clang::UnaryOperator>(e); u && u->getOpcode() == clang::UO_LNot) {
      a.negated = !a.negated;
      e = Strip(u->getSubExpr());
      continue;
    }
    const auto* b = dyn_cast<clang::BinaryOperator>(e);
    if (b && (b->getOpcode() == clang::BO_EQ || b->getOpcode() == clang::BO_NE)) {
      const clang::Expr* l = Strip(b->getLHS());
      const clang::Expr* r = Strip(b->getRHS());
      std::optional<int64_t> c = ConstantOf(r, ctx);
      if (!c) {
        c = ConstantOf(l, ctx);
        std::swap(l, r);
      }
      if (!c) break;
      if (b->getOpcode() == clang::BO_NE) a.negated = !a.negated;
      if (*c == 0) {
        a.negated = !a.negated;  // x == 0  is  !x
      } else {
        a.eq = true;
        a.constant = *c;
      }
      e = l;
      if (a.eq) break;
      continue;
    }
    break;
  }
  a.base = e;
  return a;
}

// Whether a try-lock succeeded, given that its result satisfies (or not) the atom.
std::optional<bool> TrySucceeded(TryKind kind, const Atom& a, bool holds) {
  auto succ = [&](int64_t v) {
    switch (kind) {
      case TryKind::kZeroIsSuccess: return v == 0;
      case TryKind::kNonzeroIsSuccess: return v != 0;
      case TryKind::kOneIsSuccess: return v == 1;
    }
    return false;
  };
  if (!a.eq) {  // holds: value != 0
    if (!holds) return succ(0);
    if (kind == TryKind::kOneIsSuccess) return std::nullopt;
    return succ(1);
  }
  if (holds) return succ(a.constant);
  // value != constant (constant is nonzero here)
  if (kind == TryKind::kZeroIsSuccess) return std::nullopt;
  if (kind == TryKind::kOneIsSuccess && a.constant == 1) return false;
  return std::nullopt;
}

// The truth value of a condition on this path, when the facts decide it.
std::optional<bool> EvalCondition(const clang::Expr* e, const CPathState& st,
                                  const clang::ASTContext& ctx) {
  e = Strip(e);
  if (!e) return std::nullopt;
  if (const bool* f = st.Fact(ExprToken(e))) return *f;
  if (std::optional<int64_t> c = ConstantOf(e, ctx)) return *c != 0;
  if (const auto* u = dyn_cast<clang::UnaryOperator>(e); u && u->getOpcode() == clang::UO_LNot) {
    std::optional<bool> v = EvalCondition(u->getSubExpr(), st, ctx);
    return v ? std::optional<bool>(!*v) : std::nullopt;
  }
  if (const auto* c = dyn_cast<clang::ConditionalOperator>(e)) {
    std::optional<bool> v = EvalCondition(c->getCond(), st, ctx);
    if (!v) return std::nullopt;
    return EvalCondition(*v ? c->getTrueExpr() : c->getFalseExpr(), st, ctx);
  }
  if (const auto* b = dyn_cast<clang::BinaryOperator>(e)) {
    if (b->getOpcode() == clang::BO_Comma) return EvalCondition(b->getRHS(), st, ctx);
    if (b->isLogicalOp()) {
      bool is_and = b->getOpcode() == clang::BO_LAnd;
      std::optional<bool> l = EvalCondition(b->getLHS(), st, ctx);
      if (l && *l != is_and) return !is_and;  // short-circuit decides
      std::optional<bool> r = EvalCondition(b->getRHS(), st, ctx);
      if (l) return r;
      if (r && *r != is_and) return !is_and;
      return std::nullopt;
    }
    if (b->getOpcode() == clang::BO_EQ || b->getOpcode() == clang::BO_NE) {
      bool ne = b->getOpcode() == clang::BO_NE;
      const clang::Expr* other = nullptr;
      if (std::optional<int64_t> c = ConstantOf(b->getRHS(), ctx); c && *c == 0) other = b->getLHS();
      if (std::optional<int64_t> c = ConstantOf(b->getLHS(), ctx); c && *c == 0) other = b->getRHS();
      if (!other) return std::nullopt;
      std::optional<bool> v = EvalCondition(other, st, ctx);
      return v ? std::optional<bool>(*v == ne) : std::nullopt;
    }
  }
  if (std::optional<std::string> k = FactKey(e, ctx)) {
    if (const bool* f = st.Fact(*k)) return *f;
  }
  return std::nullopt;
}

}  // namespace pyrace::clint
