// Branch conditions as the walk understands them: reduced to "x is truthy" or
// "x == C", keyed as facts a path can remember, and evaluated against those facts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "instrument/clang/path_state.h"

namespace clang {
class ASTContext;
class Expr;
class Stmt;
class VarDecl;
}  // namespace clang

namespace pyrace::clint {

const clang::Expr* Strip(const clang::Expr* e);          // parens and casts off
const clang::VarDecl* LocalVar(const clang::Expr* e);    // `x` naming a local, else null
std::optional<int64_t> ConstantOf(const clang::Expr* e, const clang::ASTContext& ctx);

// A pure expression of variables as a fact key: "v0x..;", "v0x..;->lock", "(v0x..;&#4)".
std::optional<std::string> FactKey(const clang::Expr* e, const clang::ASTContext& ctx);
std::string ExprToken(const clang::Expr* e);  // "e0x..": a fact about one expression
bool IsExpressionBranch(const clang::Stmt* terminator);  // ?:, && or ||

// A condition reduced to "base is truthy" or "base == constant", possibly negated.
struct Atom {
  const clang::Expr* base = nullptr;
  bool eq = false;
  int64_t constant = 0;
  bool negated = false;
};
Atom ParseAtom(const clang::Expr* cond, const clang::ASTContext& ctx);

// Whether a try-lock succeeded, given that its result satisfies (holds) the atom or not.
std::optional<bool> TrySucceeded(TryKind kind, const Atom& a, bool holds);

// The truth value of a condition on a path, when the path's facts decide it.
std::optional<bool> EvalCondition(const clang::Expr* e, const CPathState& st,
                                  const clang::ASTContext& ctx);

}  // namespace pyrace::clint
