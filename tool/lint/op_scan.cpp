#include "tool/lint/op_scan.h"

#include <cctype>
#include <map>
#include <string_view>

namespace pyrace::lint {
namespace {

bool IsBoundary(Node n) {
  return Is<"block">(n) || Is<"function_definition">(n) || Is<"class_definition">(n) ||
         Is<"lambda">(n) || Is<"decorated_definition">(n);
}

std::string_view AttrName(const Source& src, Node call) {
  Node fn = Field<"function">(call);
  if (!Is<"attribute">(fn)) return {};
  return src.Text(Field<"attribute">(fn));
}

struct Args {
  std::vector<Node> positional;
  std::map<std::string, Node> keywords;
  bool has_splat = false;
};

Args ArgsOf(const Source& src, Node call) {
  Args a;
  Node al = Field<"arguments">(call);
  if (Is<"generator_expression">(al)) {
    a.positional.push_back(al);  // f(x for x in y): one positional argument
    return a;
  }
  if (!Is<"argument_list">(al)) return a;
  for (uint32_t i = 0; i < NamedCount(al); ++i) {
    Node ch = NamedChild(al, i);
    if (Is<"comment">(ch)) continue;
    if (Is<"keyword_argument">(ch)) {
      a.keywords[std::string(src.Text(Field<"name">(ch)))] = Field<"value">(ch);
    } else if (Is<"list_splat">(ch) || Is<"dictionary_splat">(ch)) {
      a.has_splat = true;
    } else {
      a.positional.push_back(ch);
    }
  }
  return a;
}

bool IsTrue(const Source& src, Node n) {
  std::string_view t = src.Text(n);
  return t == "True" || t == "1";
}
bool IsNoTimeout(const Source& src, Node n) {
  std::string_view t = src.Text(n);
  return t == "None" || t == "-1";
}

// acquire(): may it return without the lock?
bool AcquireMayFail(const Source& src, const Args& a) {
  if (a.has_splat) return true;
  if (!a.positional.empty() && !IsTrue(src, a.positional[0])) return true;
  if (a.positional.size() > 1 && !IsNoTimeout(src, a.positional[1])) return true;
  auto b = a.keywords.find("blocking");
  if (b != a.keywords.end() && !IsTrue(src, b->second)) return true;
  auto t = a.keywords.find("timeout");
  if (t != a.keywords.end() && !IsNoTimeout(src, t->second)) return true;
  return false;
}

bool HasTimeout(const Source& src, const Args& a, size_t timeout_pos) {
  if (a.has_splat) return true;
  if (a.positional.size() > timeout_pos && !IsNoTimeout(src, a.positional[timeout_pos])) return true;
  auto t = a.keywords.find("timeout");
  return t != a.keywords.end() && !IsNoTimeout(src, t->second);
}

// Names whose receivers' mutating methods count as a write of the receiver.
bool IsMutator(std::string_view m) {
  static const char* const kMutators[] = {
      "append", "extend", "insert", "pop", "remove", "clear", "update", "add", "discard",
      "setdefault", "popleft", "appendleft", "popitem", "sort", "reverse", "extendleft"};
  for (const char* k : kMutators) {
    if (m == k) return true;
  }
  return false;
}

class OpScanner {
 public:
  OpScanner(const Scope& scope, const Cfg& cfg, FunctionOps& out)
      : s_(scope), src_(*scope.src), cfg_(cfg), ops_(out) {}

  void Run() {
    info_.resize(cfg_.nodes.size());
    for (size_t i = 0; i < cfg_.nodes.size(); ++i) ScanNode(static_cast<int>(i));
  }

 private:
  int LockIndex(const Ref& r) {
    for (size_t i = 0; i < locks_.size(); ++i) {
      if (locks_[i] == r) return static_cast<int>(i);
    }
    if (locks_.size() >= kMaxLocks) return -1;
    locks_.push_back(r);
    return static_cast<int>(locks_.size()) - 1;
  }

  uint32_t TestId(std::string_view text) {
    auto it = test_ids_.find(std::string(text));
    if (it != test_ids_.end()) return it->second;
    uint32_t id = static_cast<uint32_t>(test_tokens_.size());
    test_ids_.emplace(std::string(text), id);
    // The names a test depends on: identifiers and dotted chains, so an assignment to
    // any of them forgets what the test said.
    std::vector<std::string> toks;
    std::string cur;
    for (char c : text) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.') {
        cur += c;
      } else {
        if (!cur.empty()) toks.push_back(cur);
        cur.clear();
      }
    }
    if (!cur.empty()) toks.push_back(cur);
    test_tokens_.push_back(std::move(toks));
    return id;
  }

  void ScanNode(int id) {
    const CfgNode& n = cfg_.nodes[id];
    NodeOps& ni = info_[id];
    if (n.kind == CfgKind::kEntry || n.kind == CfgKind::kNormalExit || n.kind == CfgKind::kRaiseExit ||
        n.kind == CfgKind::kFinallyEntry || n.kind == CfgKind::kFinallyExit) {
      return;
    }
    cur_ = id;
    skip_call_ = Node{};
    if (n.kind == CfgKind::kCond) ClassifyTest(id);
    if (n.kind == CfgKind::kHandler) {
      Node v = Field<"value">(n.ast);
      if (!v.IsNull()) Visit(v);
      Node alias = Field<"alias">(n.ast);
      if (!alias.IsNull()) ni.assigned.emplace_back(src_.Text(alias));
      return;
    }
    if (Is<"with_clause">(n.ast)) {
      ScanWith(id);
      return;
    }
    if (Is<"for_statement">(n.stmt) && n.kind == CfgKind::kStmt && n.ast == Field<"right">(n.stmt)) {
      Visit(n.ast);
      Targets(Field<"left">(n.stmt), ni.assigned, false);
      return;
    }
    if (Is<"decorated_definition">(n.ast) || Is<"function_definition">(n.ast) || Is<"class_definition">(n.ast)) {
      Node def = Is<"decorated_definition">(n.ast) ? Field<"definition">(n.ast) : n.ast;
      ni.assigned.emplace_back(src_.Text(Field<"name">(def)));
      return;
    }
    Visit(n.ast);
  }

  void ClassifyTest(int id) {
    const CfgNode& n = cfg_.nodes[id];
    NodeOps& ni = info_[id];
    ni.is_while_test = Is<"while_statement">(n.stmt);
    Node t = Unparen(n.ast);
    bool positive = true;
    while (Is<"not_operator">(t)) {
      positive = !positive;
      t = Unparen(Field<"argument">(t));
    }
    if (Is<"call">(t) && AttrName(src_, t) == "acquire") {
      int l = LockIndex(s_.RefOf(Field<"object">(Field<"function">(t))));
      if (l >= 0) {
        ni.test_lock = l;
        ni.test_positive = positive;
        skip_call_ = t;
        acquire_sites_.push_back(src_.PosOf(t));
        acquire_nodes_.push_back(id);
        lock_acquired_[l] = true;
      }
      return;
    }
    if (Is<"call">(t) && AttrName(src_, t) == "locked") {
      // `if lock.locked(): lock.release()`: trust the check.
      int l = LockIndex(s_.RefOf(Field<"object">(Field<"function">(t))));
      if (l >= 0) {
        ni.test_locked = l;
        ni.test_positive = positive;
      }
      return;
    }
    if (ni.is_while_test) return;
    ni.test_id = static_cast<int>(TestId(src_.Text(t)));
    ni.test_positive_id = positive;
  }

  void ScanWith(int id) {
    const CfgNode& n = cfg_.nodes[id];
    size_t item = 0;
    for (uint32_t i = 0; i < NamedCount(n.ast); ++i) {
      Node it = NamedChild(n.ast, i);
      if (!Is<"with_item">(it)) continue;
      Node v = Field<"value">(it);
      Node alias{};
      if (Is<"as_pattern">(v)) {
        alias = Field<"alias">(v);
        v = NamedChild(v, 0);
      }
      v = Unparen(v);
      // The lock object itself is not a data access; what computes it (a call) is.
      if (!Is<"identifier">(v) && !Is<"attribute">(v)) Visit(v);
      Op op;
      op.kind = OpKind::kWithAcquire;
      op.ref = s_.RefOf(v);
      op.pos = src_.PosOf(v);
      op.with_index = item++;
      info_[id].ops.push_back(std::move(op));
      if (!alias.IsNull()) Targets(alias, info_[id].assigned, false);
    }
  }

  void Add(Op op) { info_[cur_].ops.push_back(std::move(op)); }

  // Post-order walk of what a node evaluates: arguments before the call that uses them.
  void Visit(Node n) {
    if (n.IsNull() || IsBoundary(n)) return;
    const TSSymbol sym = n.Symbol();
    if (sym == SymbolId<"assignment">() || sym == SymbolId<"augmented_assignment">()) {
      Assignment(n);
      return;
    }
    if (sym == SymbolId<"named_expression">()) {
      Visit(Field<"value">(n));
      info_[cur_].assigned.emplace_back(src_.Text(Field<"name">(n)));
      return;
    }
    if (sym == SymbolId<"call">()) {
      Call(n);
      return;
    }
    if (sym == SymbolId<"attribute">()) {
      SelfAccess(n, false, false);
      Visit(Field<"object">(n));
      return;
    }
    if (sym == SymbolId<"identifier">()) {
      GlobalRead(n);
      return;
    }
    if (sym == SymbolId<"keyword_argument">()) {
      Visit(Field<"value">(n));
      return;
    }
    if (sym == SymbolId<"global_statement">() || sym == SymbolId<"nonlocal_statement">() || sym == SymbolId<"import_statement">() ||
        sym == SymbolId<"import_from_statement">() || sym == SymbolId<"future_import_statement">()) {
      return;
    }
    if (sym == SymbolId<"delete_statement">()) {
      for (uint32_t i = 0; i < NamedCount(n); ++i) Targets(NamedChild(n, i), info_[cur_].assigned, true);
      return;
    }
    ForEachNamed(n, [&](Node ch) { Visit(ch); });
  }

  // Assignment targets: records writes and the names whose tests must be forgotten.
  void Targets(Node t, std::vector<std::string>& assigned, bool record_access) {
    t = Unparen(t);
    if (Is<"identifier">(t)) {
      std::string name(src_.Text(t));
      assigned.push_back(name);
      if (record_access) GlobalWrite(t, false);
      return;
    }
    if (Is<"attribute">(t)) {
      assigned.emplace_back(src_.Text(t));
      if (record_access) {
        if (!SelfAccess(t, true, false)) Visit(Field<"object">(t));
      }
      return;
    }
    if (Is<"subscript">(t)) {
      Node base = Unparen(Field<"value">(t));
      assigned.emplace_back(src_.Text(base));
      if (record_access) {
        // d[k] = v mutates the container d: a write of d.
        if (Is<"attribute">(base)) {
          if (!SelfAccess(base, true, false)) Visit(base);
        } else if (Is<"identifier">(base)) {
          GlobalAccess(base, true, false, true);
        } else {
          Visit(base);
        }
        Visit(Field<"subscript">(t));
      }
      return;
    }
    for (uint32_t i = 0; i < NamedCount(t); ++i) Targets(NamedChild(t, i), assigned, record_access);
  }

  void Assignment(Node n) {
    Node left = Field<"left">(n);
    Node right = Field<"right">(n);
    bool aug = Is<"augmented_assignment">(n);
    Node r = Unparen(right);
    if (!aug && Is<"call">(r) && AttrName(src_, r) == "acquire" && Is<"identifier">(Unparen(left))) {
      Args a = ArgsOf(src_, r);
      VisitArgs(r);
      int l = LockIndex(s_.RefOf(Field<"object">(Field<"function">(r))));
      if (l >= 0) {
        Op op;
        op.kind = AcquireMayFail(src_, a) ? OpKind::kAcquireAssign : OpKind::kAcquire;
        op.lock = l;
        op.ref = locks_[l];
        op.var = std::string(src_.Text(Unparen(left)));
        op.var_test = TestId(op.var);
        op.pos = src_.PosOf(r);
        NoteAcquire(op);
        Add(std::move(op));
      }
      info_[cur_].assigned.emplace_back(src_.Text(Unparen(left)));
      return;
    }
    if (!right.IsNull()) Visit(right);
    if (aug) {
      Node t = Unparen(left);
      info_[cur_].assigned.emplace_back(src_.Text(t));
      if (Is<"identifier">(t)) {
        GlobalWrite(t, true);
      } else if (Is<"attribute">(t)) {
        if (!SelfAccess(t, true, true)) Visit(Field<"object">(t));
      } else {
        Visit(t);
      }
      return;
    }
    Targets(left, info_[cur_].assigned, true);
  }

  void NoteAcquire(const Op& op) {
    acquire_sites_.push_back(op.pos);
    acquire_nodes_.push_back(cur_);
    lock_acquired_[op.lock] = true;
  }

  void VisitArgs(Node call) {
    Node al = Field<"arguments">(call);
    if (!al.IsNull()) Visit(al);
  }

  // self.X as a data access (reads and writes of attributes of the method's object), and
  // X of an object reached from a module-level name or from self (`stats.count`,
  // `self.nw.items`), which the project pass names by the object's class.
  bool SelfAccess(Node attr, bool write, bool aug) {
    if (s_.is_module) return false;
    Node obj = Unparen(Field<"object">(attr));
    Op op;
    op.kind = OpKind::kAccess;
    AccessFact& access = op.fact.emplace<AccessFact>();
    if (Is<"identifier">(obj) && !s_.self_name.empty() && src_.Text(obj) == s_.self_name) {
      access.target = AccessTarget::kSelfAttr;
    } else if (Is<"identifier">(obj) || Is<"attribute">(obj)) {
      Ref r = s_.RefOf(obj);
      bool shared = r.kind == RefKind::kSelfAttr || r.kind == RefKind::kClassAttr || r.kind == RefKind::kModuleAttr ||
                    (r.kind == RefKind::kGlobal && s_.IsModuleName(r.a));
      if (!shared) return false;
      access.target = AccessTarget::kObjectAttr;
      access.object = std::move(r);
    } else {
      return false;
    }
    access.name = std::string(src_.Text(Field<"attribute">(attr)));
    access.write = write;
    access.augmented = aug;
    access.pos = src_.PosOf(attr);
    Add(std::move(op));
    return true;
  }

  // `container`: d[k] = v or d.append(x) mutates the object d names, which needs no
  // `global` declaration.
  void GlobalAccess(Node id, bool write, bool aug, bool container = false) {
    if (s_.is_module) return;
    std::string name(src_.Text(id));
    Op op;
    op.kind = OpKind::kAccess;
    AccessFact& access = op.fact.emplace<AccessFact>();
    bool bare_ok = !write || container;
    if (s_.nonlocals.count(name)) {
      access.target = AccessTarget::kNonlocal;
    } else if (s_.globals.count(name) ||
               (bare_ok && !s_.IsLocal(name) && !IsEnclosingLocal(name) && s_.IsModuleName(name))) {
      access.target = AccessTarget::kGlobal;
    } else {
      return;
    }
    access.name = name;
    access.write = write;
    access.augmented = aug;
    access.pos = src_.PosOf(id);
    Add(std::move(op));
  }
  void GlobalRead(Node id) { GlobalAccess(id, false, false); }
  void GlobalWrite(Node id, bool aug) { GlobalAccess(id, true, aug); }

  bool IsEnclosingLocal(const std::string& name) const {
    for (const Scope* p = s_.parent; p; p = p->parent) {
      if (p->IsLocal(name)) return true;
    }
    return false;
  }

  void Call(Node call) {
    Node fn = Field<"function">(call);
    Args a = ArgsOf(src_, call);
    if (Is<"attribute">(fn)) {
      Node recv = Field<"object">(fn);
      std::string_view m = src_.Text(Field<"attribute">(fn));
      // The receiver of a mutator is written; of anything else, read.
      bool mutates = IsMutator(m) && SelfAccess(recv, true, false);
      if (!mutates && IsMutator(m) && Is<"identifier">(recv)) {
        GlobalAccess(recv, true, false, true);
        mutates = true;
      }
      if (!mutates && !(Is<"identifier">(recv) && src_.Text(recv) == s_.self_name)) Visit(recv);
      VisitArgs(call);
      MethodCall(call, recv, m, a);
      return;
    }
    Visit(fn);
    VisitArgs(call);
    if (Is<"identifier">(fn)) NameCall(call, std::string(src_.Text(fn)), a);
  }

  void MethodCall(Node call, Node recv, std::string_view m, const Args& a) {
    Pos pos = src_.PosOf(call);
    if (m == "acquire" || m == "release") {
      if (call == skip_call_) return;
      int l = LockIndex(s_.RefOf(recv));
      if (l < 0) return;
      Op op;
      op.kind = m == "acquire" ? OpKind::kAcquire : OpKind::kRelease;
      op.lock = l;
      op.ref = locks_[l];
      op.pos = pos;
      op.may_fail = m == "acquire" && AcquireMayFail(src_, a);
      if (m == "acquire") {
        NoteAcquire(op);
      } else {
        lock_released_[l] = true;
        if (cfg_.nodes[cur_].in_handler) lock_released_in_handler_[l] = true;
      }
      Add(std::move(op));
      return;
    }
    if (m == "wait" || m == "wait_for" || m == "notify" || m == "notify_all" || m == "notifyAll") {
      Op op;
      op.kind = OpKind::kCondOp;
      CondOpFact& cond = op.fact.emplace<CondOpFact>();
      cond.op = (m == "wait" || m == "wait_for") ? CondOp::kWait : CondOp::kNotify;
      cond.receiver = s_.RefOf(recv);
      cond.method = std::string(m);
      cond.pos = pos;
      cond.in_while = cfg_.nodes[cur_].in_while;
      cond.timed = m == "wait" && HasTimeout(src_, a, 0);
      if (m == "wait_for") cond.in_while = true;  // wait_for loops on its predicate itself
      Add(op);
      bool no_timeout = (m == "wait" && !HasTimeout(src_, a, 0)) || (m == "wait_for" && !HasTimeout(src_, a, 1));
      if (no_timeout && m.substr(0, 4) == "wait") Blocking(BlockKind::kWait, recv, call);
      return;
    }
    if (m == "join" && a.positional.empty() && !HasTimeout(src_, a, 0)) {
      Blocking(BlockKind::kJoin, recv, call);
      return;
    }
    if (m == "get" && !HasTimeout(src_, a, 1) && (a.positional.empty() || IsTrue(src_, a.positional[0])) &&
        (!a.keywords.count("block") || IsTrue(src_, a.keywords.at("block")))) {
      Blocking(BlockKind::kQueueGet, recv, call);
      return;
    }
    if (m == "put" && a.positional.size() == 1 && !HasTimeout(src_, a, 2) &&
        (!a.keywords.count("block") || IsTrue(src_, a.keywords.at("block")))) {
      Blocking(BlockKind::kQueuePut, recv, call);
      return;
    }
    if (m == "result" && a.positional.empty() && !HasTimeout(src_, a, 0)) {
      Blocking(BlockKind::kResult, recv, call);
      return;
    }
    if (m == "sleep" && src_.Text(recv) == "time") {
      Blocking(BlockKind::kSleep, recv, call);
      return;
    }
    if ((m == "submit" || m == "map") && !a.positional.empty()) {
      Target(a.positional[0], TargetKind::kExecutor, call, &recv, m);
      return;
    }
    if (m == "start_new_thread" || m == "start_new") {
      if (!a.positional.empty()) Target(a.positional[0], TargetKind::kStartNewThread, call, nullptr);
      return;
    }
    if (m == "Thread" || m == "Timer") {
      ThreadCtor(call, m, a);
      return;
    }
    if (auto c = s_.CalleeOf(Field<"function">(call))) {
      Op op;
      op.kind = OpKind::kCall;
      op.fact = CallFact{std::move(*c), pos, {}};
      Add(std::move(op));
    }
  }

  void NameCall(Node call, const std::string& name, const Args& a) {
    if (name == "sleep") {
      auto it = s_.file->imports.find("sleep");
      if (it != s_.file->imports.end() && it->second.module == "time") {
        Blocking(BlockKind::kSleep, Node{}, call);
        return;
      }
    }
    if (name == "Thread" || name == "Timer") {
      ThreadCtor(call, name, a);
      return;
    }
    if (name == "start_new_thread" && !a.positional.empty()) {
      Target(a.positional[0], TargetKind::kStartNewThread, call, nullptr);
      return;
    }
    if (auto c = s_.CalleeOf(Field<"function">(call))) {
      Op op;
      op.kind = OpKind::kCall;
      op.fact = CallFact{std::move(*c), src_.PosOf(call), {}};
      Add(std::move(op));
    }
  }

  void ThreadCtor(Node call, std::string_view m, const Args& a) {
    auto t = a.keywords.find(m == "Timer" ? "function" : "target");
    if (t != a.keywords.end()) {
      Target(t->second, m == "Timer" ? TargetKind::kTimer : TargetKind::kThread, call, nullptr);
    } else if (m == "Timer" && a.positional.size() >= 2) {
      Target(a.positional[1], TargetKind::kTimer, call, nullptr);
    } else if (m == "Thread" && a.positional.size() >= 2) {
      Target(a.positional[1], TargetKind::kThread, call, nullptr);
    }
  }

  void Target(Node fnexpr, TargetKind kind, Node call, const Node* recv, std::string_view method = {}) {
    fnexpr = Unparen(fnexpr);
    // functools.partial(f, ...) runs f.
    if (Is<"call">(fnexpr)) {
      std::string_view f = src_.Text(Field<"function">(fnexpr));
      Args pa = ArgsOf(src_, fnexpr);
      if ((f == "partial" || f == "functools.partial") && !pa.positional.empty()) fnexpr = Unparen(pa.positional[0]);
    }
    auto c = s_.CalleeOf(fnexpr);
    if (!c) return;
    Op op;
    op.kind = OpKind::kTarget;
    TargetFact& target = op.fact.emplace<TargetFact>();
    target.callee = std::move(*c);
    target.kind = kind;
    target.pos = src_.PosOf(call);
    target.method = std::string(method);
    if (recv) {
      target.via = std::string(src_.Text(*recv));
      target.executor = s_.RefOf(*recv);
    }
    Add(std::move(op));
  }

  void Blocking(BlockKind kind, Node recv, Node call) {
    Op op;
    op.kind = OpKind::kBlocking;
    BlockingFact& blocking = op.fact.emplace<BlockingFact>();
    blocking.kind = kind;
    if (!recv.IsNull()) blocking.receiver = s_.RefOf(recv);
    blocking.callee_text = std::string(src_.Text(Field<"function">(call)));
    blocking.pos = src_.PosOf(call);
    Add(std::move(op));
  }

  const Scope& s_;
  const Source& src_;
  const Cfg& cfg_;
  FunctionOps& ops_;
  std::vector<NodeOps>& info_ = ops_.nodes;
  std::vector<Ref>& locks_ = ops_.locks;
  std::array<bool, kMaxLocks>& lock_acquired_ = ops_.lock_acquired;
  std::array<bool, kMaxLocks>& lock_released_ = ops_.lock_released;
  std::array<bool, kMaxLocks>& lock_released_in_handler_ = ops_.lock_released_in_handler;
  std::vector<Pos>& acquire_sites_ = ops_.acquire_sites;
  std::vector<int>& acquire_nodes_ = ops_.acquire_nodes;
  std::vector<std::vector<std::string>>& test_tokens_ = ops_.test_tokens;
  std::map<std::string, uint32_t> test_ids_;
  int cur_ = 0;
  Node skip_call_{};
};

}  // namespace

FunctionOps ScanOps(const Scope& scope, const Cfg& cfg) {
  FunctionOps ops;
  OpScanner(scope, cfg, ops).Run();
  return ops;
}

}  // namespace pyrace::lint
