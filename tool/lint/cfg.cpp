#include "tool/lint/cfg.h"

#include <string_view>

namespace pyrace::lint {
namespace {

bool IsScopeBoundary(Node n) {
  return Is<"block">(n) || Is<"function_definition">(n) || Is<"class_definition">(n) ||
         Is<"lambda">(n) || Is<"decorated_definition">(n);
}

bool MayRaiseRec(const Source& src, Node n) {
  if (Is<"await">(n) || Is<"assert_statement">(n)) return true;
  if (Is<"call">(n)) {
    Node fn = Field<"function">(n);
    if (Is<"attribute">(fn)) {
      std::string_view m = src.Text(Field<"attribute">(fn));
      if (m != "release" && m != "notify" && m != "notify_all" && m != "notifyAll") return true;
    } else {
      return true;
    }
  }
  bool raises = false;
  ForEachNamed(n, [&](Node ch) {
    if (!raises && !IsScopeBoundary(ch)) raises = MayRaiseRec(src, ch);
  });
  return raises;
}

bool IsConstantTrue(const Source& src, Node cond) {
  std::string_view t = src.Text(Unparen(cond));
  return t == "True" || t == "1";
}

// sys.exit()/os._exit()/os.abort(): the path ends; a lock held there is not leaked.
bool EndsProcess(const Source& src, Node stmt) {
  if (!Is<"expression_statement">(stmt) || NamedCount(stmt) != 1) return false;
  Node call = NamedChild(stmt, 0);
  if (!Is<"call">(call)) return false;
  std::string_view f = src.Text(Field<"function">(call));
  return f == "sys.exit" || f == "os._exit" || f == "os.abort" || f == "_exit" || f == "exit";
}

bool CatchesAll(const Source& src, Node clause) {
  if (!Is<"except_clause">(clause)) return false;
  Node v = Field<"value">(clause);
  if (v.IsNull()) {
    // `except:` has no value; in some grammar versions the type is the first named child.
    for (uint32_t i = 0; i < NamedCount(clause); ++i) {
      Node ch = NamedChild(clause, i);
      if (!Is<"block">(ch)) { v = ch; break; }
    }
    if (v.IsNull()) return true;
  }
  if (Is<"as_pattern">(v)) v = NamedChild(v, 0);
  std::string_view t = src.Text(v);
  return t == "BaseException" || t == "Exception";
}

class Builder {
 public:
  Builder(const Source& src, Cfg& g) : src_(src), g_(g) {}

  void Build(Node body) {
    g_.nodes.resize(3);
    g_.nodes[0].kind = CfgKind::kEntry;
    g_.nodes[1].kind = CfgKind::kNormalExit;
    g_.nodes[2].kind = CfgKind::kRaiseExit;
    Dangling d{{0, CfgEdge{}}};
    d = Block(body, d);
    Connect(d, g_.normal_exit);
  }

 private:
  using Dangling = std::vector<std::pair<int, CfgEdge>>;
  enum class CtxKind { kLoop, kTry, kFinally };
  struct Ctx {
    CtxKind kind = CtxKind::kLoop;
    int head = -1;                 // loop: continue target
    Dangling* breaks = nullptr;    // loop: break sources
    std::vector<int> handlers;     // try: handler entries
    bool catch_all = false;
    int finally_entry = -1;
  };

  static constexpr size_t kMaxNodes = 20000;

  int NewNode(CfgKind kind, Node ast, Node stmt) {
    if (g_.nodes.size() >= kMaxNodes) g_.truncated = true;
    CfgNode n;
    n.kind = kind;
    n.ast = ast;
    n.stmt = stmt;
    n.with_values = with_stack_;
    n.in_while = while_depth_ > 0;
    n.in_handler = handler_depth_ > 0;
    n.try_stmt = handler_try_;
    g_.nodes.push_back(std::move(n));
    return static_cast<int>(g_.nodes.size()) - 1;
  }

  void Connect(const Dangling& d, int to) {
    for (const auto& [from, e] : d) {
      CfgEdge edge = e;
      edge.to = to;
      g_.nodes[from].succ.push_back(edge);
    }
  }
  void Edge(int from, int to, CfgEdge e = {}) {
    e.to = to;
    g_.nodes[from].succ.push_back(e);
  }

  // Routes a jump of kind k from `from` outward through the context stack below `level`.
  void Route(int from, CfgEdge e, Pending k, size_t level) {
    for (size_t j = level; j-- > 0;) {
      Ctx& c = ctx_[j];
      if (c.kind == CtxKind::kFinally) {
        e.set_pending = static_cast<int8_t>(k);
        Edge(from, c.finally_entry, e);
        return;
      }
      if (k == Pending::kRaise && c.kind == CtxKind::kTry) {
        for (int h : c.handlers) {
          CfgEdge he = e;
          he.set_exc = static_cast<int8_t>(ExcTag::kNone);
          Edge(from, h, he);
        }
        if (c.catch_all) return;
        continue;
      }
      if (c.kind == CtxKind::kLoop && k == Pending::kBreak) {
        c.breaks->push_back({from, e});
        return;
      }
      if (c.kind == CtxKind::kLoop && k == Pending::kContinue) {
        Edge(from, c.head, e);
        return;
      }
    }
    if (k == Pending::kReturn) Edge(from, g_.normal_exit, e);
    if (k == Pending::kRaise) Edge(from, g_.raise_exit, e);
  }

  void RaiseFrom(int node, bool pre, ExcTag tag) {
    CfgEdge e;
    e.pre = pre;
    e.set_exc = static_cast<int8_t>(tag);
    Route(node, e, Pending::kRaise, ctx_.size());
  }

  int Simple(Node ast, Node stmt, const Dangling& in, CfgKind kind = CfgKind::kStmt) {
    int n = NewNode(kind, ast, stmt);
    Connect(in, n);
    if (MayRaise(src_, ast)) RaiseFrom(n, true, ExcTag::kImplicit);
    return n;
  }

  Dangling Block(Node block, Dangling in) {
    ForEachNamed(block, [&](Node s) {
      if (g_.truncated || Is<"comment">(s)) return;
      in = Stmt(s, std::move(in));
    });
    return in;
  }

  Dangling Stmt(Node s, Dangling in) {
    if (Is<"if_statement">(s)) return If(s, std::move(in));
    if (Is<"while_statement">(s)) return While(s, std::move(in));
    if (Is<"for_statement">(s)) return For(s, std::move(in));
    if (Is<"try_statement">(s)) return Try(s, std::move(in));
    if (Is<"with_statement">(s)) return With(s, std::move(in));
    if (Is<"match_statement">(s)) return Match(s, std::move(in));
    if (Is<"return_statement">(s)) {
      int n = Simple(s, s, in);
      g_.nodes[n].is_return = true;
      Route(n, CfgEdge{}, Pending::kReturn, ctx_.size());
      return {};
    }
    if (Is<"raise_statement">(s)) {
      int n = NewNode(CfgKind::kStmt, s, s);
      Connect(in, n);
      g_.nodes[n].is_raise = true;
      RaiseFrom(n, false, ExcTag::kExplicit);
      return {};
    }
    if (Is<"break_statement">(s) || Is<"continue_statement">(s)) {
      int n = NewNode(CfgKind::kStmt, s, s);
      Connect(in, n);
      g_.nodes[n].is_loop_jump = true;
      Route(n, CfgEdge{}, Is<"break_statement">(s) ? Pending::kBreak : Pending::kContinue, ctx_.size());
      return {};
    }
    if (Is<"decorated_definition">(s) || Is<"function_definition">(s) || Is<"class_definition">(s)) {
      int n = NewNode(CfgKind::kStmt, s, s);
      Connect(in, n);
      return {{n, CfgEdge{}}};
    }
    if (EndsProcess(src_, s)) {
      int n = NewNode(CfgKind::kStmt, s, s);
      Connect(in, n);
      return {};
    }
    int n = Simple(s, s, in);
    return {{n, CfgEdge{}}};
  }

  Dangling If(Node s, Dangling in) {
    Dangling out;
    Node cond = Field<"condition">(s);
    Node body = Field<"consequence">(s);
    int c = Simple(cond, s, in, CfgKind::kCond);
    CfgEdge t; t.cond = 1;
    CfgEdge f; f.cond = 2;
    Dangling d = Block(body, {{c, t}});
    out.insert(out.end(), d.begin(), d.end());
    Dangling next{{c, f}};
    uint32_t n = NamedCount(s);
    for (uint32_t i = 0; i < n; ++i) {
      Node alt = NamedChild(s, i);
      if (Is<"elif_clause">(alt)) {
        int ec = Simple(Field<"condition">(alt), alt, next, CfgKind::kCond);
        Dangling ed = Block(Field<"consequence">(alt), {{ec, t}});
        out.insert(out.end(), ed.begin(), ed.end());
        next = {{ec, f}};
      } else if (Is<"else_clause">(alt)) {
        next = Block(Field<"body">(alt), next);
      }
    }
    out.insert(out.end(), next.begin(), next.end());
    return out;
  }

  Dangling Loop(Node s, int head, Dangling body_in, Dangling exit_in) {
    Dangling breaks;
    Ctx c;
    c.kind = CtxKind::kLoop;
    c.head = head;
    c.breaks = &breaks;
    ctx_.push_back(c);
    Dangling body_out = Block(Field<"body">(s), std::move(body_in));
    ctx_.pop_back();
    Connect(body_out, head);
    Node alt = Field<"alternative">(s);
    if (!alt.IsNull()) exit_in = Block(Field<"body">(alt), std::move(exit_in));
    exit_in.insert(exit_in.end(), breaks.begin(), breaks.end());
    return exit_in;
  }

  Dangling While(Node s, Dangling in) {
    Node cond = Field<"condition">(s);
    int h = Simple(cond, s, in, CfgKind::kCond);
    CfgEdge t; t.cond = 1;
    CfgEdge f; f.cond = 2;
    Dangling exit_in;
    if (!IsConstantTrue(src_, cond)) exit_in.push_back({h, f});
    ++while_depth_;
    Dangling out = Loop(s, h, {{h, t}}, std::move(exit_in));
    --while_depth_;
    return out;
  }

  Dangling For(Node s, Dangling in) {
    int h = NewNode(CfgKind::kStmt, Field<"right">(s), s);
    Connect(in, h);
    if (MayRaise(src_, Field<"right">(s))) RaiseFrom(h, true, ExcTag::kImplicit);
    return Loop(s, h, {{h, CfgEdge{}}}, {{h, CfgEdge{}}});
  }

  Dangling With(Node s, Dangling in) {
    Node clause{};
    for (uint32_t i = 0; i < NamedCount(s); ++i) {
      if (Is<"with_clause">(NamedChild(s, i))) clause = NamedChild(s, i);
    }
    if (clause.IsNull()) return Block(Field<"body">(s), std::move(in));
    int h = Simple(clause, s, in);
    size_t depth = with_stack_.size();
    for (uint32_t i = 0; i < NamedCount(clause); ++i) {
      Node item = NamedChild(clause, i);
      if (!Is<"with_item">(item)) continue;
      Node v = Field<"value">(item);
      if (Is<"as_pattern">(v)) v = NamedChild(v, 0);
      with_stack_.push_back(Unparen(v));
    }
    Dangling out = Block(Field<"body">(s), {{h, CfgEdge{}}});
    with_stack_.resize(depth);
    return out;
  }

  Dangling Match(Node s, Dangling in) {
    int h = Simple(Field<"subject">(s), s, in);
    Dangling out;
    bool irrefutable = false;
    Node body = Field<"body">(s);
    for (uint32_t i = 0; i < NamedCount(body); ++i) {
      Node cc = NamedChild(body, i);
      if (!Is<"case_clause">(cc)) continue;
      Node guard = Field<"guard">(cc);
      if (guard.IsNull() && NamedCount(cc) > 0) {
        std::string_view p = src_.Text(NamedChild(cc, 0));
        if (p == "_") irrefutable = true;
      }
      Dangling d = Block(Field<"consequence">(cc), {{h, CfgEdge{}}});
      out.insert(out.end(), d.begin(), d.end());
    }
    if (!irrefutable) out.push_back({h, CfgEdge{}});
    return out;
  }

  Dangling Try(Node s, Dangling in) {
    Node finally_clause{}, else_clause{};
    std::vector<Node> handlers;
    for (uint32_t i = 0; i < NamedCount(s); ++i) {
      Node ch = NamedChild(s, i);
      if (Is<"finally_clause">(ch)) finally_clause = ch;
      else if (Is<"else_clause">(ch)) else_clause = ch;
      else if (Is<"except_clause">(ch) || Is<"except_group_clause">(ch)) handlers.push_back(ch);
    }
    int try_index = static_cast<int>(g_.trys.size());
    g_.trys.push_back(TryInfo{s});

    int fe = -1;
    if (!finally_clause.IsNull()) {
      fe = NewNode(CfgKind::kFinallyEntry, finally_clause, s);
      Ctx f;
      f.kind = CtxKind::kFinally;
      f.finally_entry = fe;
      ctx_.push_back(f);
    }
    Ctx t;
    t.kind = CtxKind::kTry;
    ++handler_depth_;
    int saved_try = handler_try_;
    handler_try_ = try_index;
    for (Node h : handlers) {
      t.handlers.push_back(NewNode(CfgKind::kHandler, h, h));
      if (CatchesAll(src_, h)) t.catch_all = true;
    }
    handler_try_ = saved_try;
    --handler_depth_;
    std::vector<int> handler_nodes = t.handlers;
    ctx_.push_back(std::move(t));
    Dangling out = Block(Field<"body">(s), std::move(in));
    ctx_.pop_back();
    if (!else_clause.IsNull()) out = Block(Field<"body">(else_clause), std::move(out));
    ++handler_depth_;
    handler_try_ = try_index;
    for (size_t i = 0; i < handlers.size(); ++i) {
      Node body{};
      for (uint32_t j = 0; j < NamedCount(handlers[i]); ++j) {
        if (Is<"block">(NamedChild(handlers[i], j))) body = NamedChild(handlers[i], j);
      }
      Dangling d{{handler_nodes[i], CfgEdge{}}};
      if (!body.IsNull()) d = Block(body, d);
      out.insert(out.end(), d.begin(), d.end());
    }
    handler_try_ = saved_try;
    --handler_depth_;
    if (fe < 0) return out;

    ctx_.pop_back();
    CfgEdge normal;
    normal.set_pending = static_cast<int8_t>(Pending::kNone);
    Dangling into;
    for (auto& [from, e] : out) {
      CfgEdge ne = e;
      ne.set_pending = normal.set_pending;
      into.push_back({from, ne});
    }
    Connect(into, fe);
    ++handler_depth_;
    handler_try_ = try_index;
    Node fbody{};
    for (uint32_t j = 0; j < NamedCount(finally_clause); ++j) {
      if (Is<"block">(NamedChild(finally_clause, j))) fbody = NamedChild(finally_clause, j);
    }
    Dangling fout{{fe, CfgEdge{}}};
    if (!fbody.IsNull()) fout = Block(fbody, fout);
    handler_try_ = saved_try;
    --handler_depth_;
    int fx = NewNode(CfgKind::kFinallyExit, finally_clause, s);
    Connect(fout, fx);
    for (Pending k : {Pending::kReturn, Pending::kBreak, Pending::kContinue, Pending::kRaise}) {
      CfgEdge e;
      e.need_pending = static_cast<int8_t>(k);
      Route(fx, e, k, ctx_.size());
    }
    CfgEdge e;
    e.need_pending = static_cast<int8_t>(Pending::kNone);
    return {{fx, e}};
  }

  const Source& src_;
  Cfg& g_;
  std::vector<Ctx> ctx_;
  std::vector<Node> with_stack_;
  int while_depth_ = 0;
  int handler_depth_ = 0;
  int handler_try_ = -1;
};

}  // namespace

bool MayRaise(const Source& src, Node ast) {
  if (ast.IsNull()) return false;
  return MayRaiseRec(src, ast);
}

Cfg BuildCfg(const Source& src, Node body) {
  Cfg g;
  Builder b(src, g);
  b.Build(body);
  return g;
}

}  // namespace pyrace::lint
