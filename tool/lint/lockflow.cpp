// The lock-state dataflow of one function. Each path state holds which tracked locks are
// held (and where each was acquired), the pending jump of a finally, whether the path is
// unwinding an exception, and the branch tests it assumed: remembering `if x:` lets
// `if x: lock.acquire() ... if x: lock.release()` stay one consistent pair of paths, and
// `ok = lock.acquire(timeout=1)` ... `if ok: lock.release()` likewise.
#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <set>
#include <string_view>

#include "tool/lint/cfg.h"
#include "tool/lint/extract.h"

namespace pyrace::lint {
namespace {

constexpr int kMaxLocks = 16;
constexpr size_t kMaxStates = 24;

enum class OpKind : uint8_t {
  kAcquire, kAcquireAssign, kRelease, kWithAcquire, kCall, kAccess, kBlocking, kCondOp, kTarget
};

struct Op {
  OpKind kind{};
  int lock = -1;          // kAcquire/kAcquireAssign/kRelease: index in the lock table
  bool may_fail = false;  // acquire with timeout / blocking=False / unknown blocking
  std::string var;        // kAcquireAssign: the variable holding the result
  Pos pos;
  Ref ref;                // lock or receiver
  size_t with_index = 0;  // kWithAcquire: item index in the with statement
  CallFact call;
  AccessFact access;
  BlockingFact blocking;
  CondOpFact cond;
  TargetFact target;
};

// Per tracked lock: `known` once this function acquired or released it on the path
// (before that its state is the caller's business), `held` meaningful only when known,
// `borrowed` when the path released a lock it entered holding (a Condition.wait-like
// release-and-reacquire, where holding it at the exit restores the caller's state).
struct PathState {
  uint32_t held = 0;
  uint32_t known = 0;
  uint32_t borrowed = 0;
  uint32_t released = 0;  // the last op on the lock was a release
  int8_t pending = 0;
  int8_t exc = 0;
  std::array<int16_t, kMaxLocks> site{};  // acquire op ordinal per held lock
  std::vector<std::pair<uint32_t, bool>> assume;  // sorted by test id
  bool operator<(const PathState& o) const {
    if (held != o.held) return held < o.held;
    if (known != o.known) return known < o.known;
    if (borrowed != o.borrowed) return borrowed < o.borrowed;
    if (released != o.released) return released < o.released;
    if (pending != o.pending) return pending < o.pending;
    if (exc != o.exc) return exc < o.exc;
    if (site != o.site) return site < o.site;
    return assume < o.assume;
  }
  bool operator==(const PathState& o) const {
    return held == o.held && known == o.known && borrowed == o.borrowed && released == o.released && pending == o.pending && exc == o.exc && site == o.site && assume == o.assume;
  }
};
using StateSet = std::vector<PathState>;

struct NodeInfo {
  std::vector<Op> ops;
  int test_lock = -1;         // Cond node whose test is lock.acquire(...)
  int test_locked = -1;       // Cond node whose test is lock.locked()
  bool test_positive = true;  // false for `not lock.acquire(...)`
  int test_id = -1;           // assumption id of an ordinary test
  bool test_positive_id = true;
  bool is_while_test = false;
  std::vector<std::string> assigned;  // names/attribute chains assigned by this node
};

bool IsBoundary(TSNode n) {
  return Is<"block">(n) || Is<"function_definition">(n) || Is<"class_definition">(n) ||
         Is<"lambda">(n) || Is<"decorated_definition">(n);
}

std::string_view AttrName(const Source& src, TSNode call) {
  TSNode fn = Field<"function">(call);
  if (!Is<"attribute">(fn)) return {};
  return src.Text(Field<"attribute">(fn));
}

struct Args {
  std::vector<TSNode> positional;
  std::map<std::string, TSNode> keywords;
  bool has_splat = false;
};

Args ArgsOf(const Source& src, TSNode call) {
  Args a;
  TSNode al = Field<"arguments">(call);
  if (Is<"generator_expression">(al)) {
    a.positional.push_back(al);  // f(x for x in y): one positional argument
    return a;
  }
  if (!Is<"argument_list">(al)) return a;
  for (uint32_t i = 0; i < NamedCount(al); ++i) {
    TSNode ch = NamedChild(al, i);
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

bool IsTrue(const Source& src, TSNode n) {
  std::string_view t = src.Text(n);
  return t == "True" || t == "1";
}
bool IsNoTimeout(const Source& src, TSNode n) {
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

class FunctionAnalysis {
 public:
  FunctionAnalysis(const Scope& scope, FunctionFacts& out) : s_(scope), src_(*scope.src), out_(out) {}

  void Run(TSNode body) {
    cfg_ = BuildCfg(src_, body);
    info_.resize(cfg_.nodes.size());
    for (size_t i = 0; i < cfg_.nodes.size(); ++i) ScanNode(static_cast<int>(i));
    if (cfg_.truncated) return;
    if (locks_.empty()) {
      Reach();  // no acquire/release: held sets are only the with-blocks
    } else {
      Solve();
    }
    if (imprecise_) return;
    Emit();
  }

 private:
  // ---- scanning ---------------------------------------------------------------------

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
    NodeInfo& ni = info_[id];
    if (n.kind == CfgKind::kEntry || n.kind == CfgKind::kNormalExit || n.kind == CfgKind::kRaiseExit ||
        n.kind == CfgKind::kFinallyEntry || n.kind == CfgKind::kFinallyExit) {
      return;
    }
    cur_ = id;
    skip_call_ = TSNode{};
    if (n.kind == CfgKind::kCond) ClassifyTest(id);
    if (n.kind == CfgKind::kHandler) {
      TSNode v = Field<"value">(n.ast);
      if (!ts_node_is_null(v)) Visit(v);
      TSNode alias = Field<"alias">(n.ast);
      if (!ts_node_is_null(alias)) ni.assigned.emplace_back(src_.Text(alias));
      return;
    }
    if (Is<"with_clause">(n.ast)) {
      ScanWith(id);
      return;
    }
    if (Is<"for_statement">(n.stmt) && n.kind == CfgKind::kStmt && ts_node_eq(n.ast, Field<"right">(n.stmt))) {
      Visit(n.ast);
      Targets(Field<"left">(n.stmt), ni.assigned, false);
      return;
    }
    if (Is<"decorated_definition">(n.ast) || Is<"function_definition">(n.ast) || Is<"class_definition">(n.ast)) {
      TSNode def = Is<"decorated_definition">(n.ast) ? Field<"definition">(n.ast) : n.ast;
      ni.assigned.emplace_back(src_.Text(Field<"name">(def)));
      return;
    }
    Visit(n.ast);
  }

  void ClassifyTest(int id) {
    const CfgNode& n = cfg_.nodes[id];
    NodeInfo& ni = info_[id];
    ni.is_while_test = Is<"while_statement">(n.stmt);
    TSNode t = Unparen(n.ast);
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
      TSNode it = NamedChild(n.ast, i);
      if (!Is<"with_item">(it)) continue;
      TSNode v = Field<"value">(it);
      TSNode alias{};
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
      if (!ts_node_is_null(alias)) Targets(alias, info_[id].assigned, false);
    }
  }

  void Add(Op op) { info_[cur_].ops.push_back(std::move(op)); }

  // Post-order walk of what a node evaluates: arguments before the call that uses them.
  void Visit(TSNode n) {
    if (ts_node_is_null(n) || IsBoundary(n)) return;
    if (Is<"assignment">(n) || Is<"augmented_assignment">(n)) {
      Assignment(n);
      return;
    }
    if (Is<"named_expression">(n)) {
      Visit(Field<"value">(n));
      info_[cur_].assigned.emplace_back(src_.Text(Field<"name">(n)));
      return;
    }
    if (Is<"call">(n)) {
      Call(n);
      return;
    }
    if (Is<"attribute">(n)) {
      SelfAccess(n, false, false);
      Visit(Field<"object">(n));
      return;
    }
    if (Is<"identifier">(n)) {
      GlobalRead(n);
      return;
    }
    if (Is<"keyword_argument">(n)) {
      Visit(Field<"value">(n));
      return;
    }
    if (Is<"global_statement">(n) || Is<"nonlocal_statement">(n) || Is<"import_statement">(n) ||
        Is<"import_from_statement">(n) || Is<"future_import_statement">(n)) {
      return;
    }
    if (Is<"delete_statement">(n)) {
      for (uint32_t i = 0; i < NamedCount(n); ++i) Targets(NamedChild(n, i), info_[cur_].assigned, true);
      return;
    }
    ForEachNamed(n, [&](TSNode ch) { Visit(ch); });
  }

  // Assignment targets: records writes and the names whose tests must be forgotten.
  void Targets(TSNode t, std::vector<std::string>& assigned, bool record_access) {
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
      TSNode base = Unparen(Field<"value">(t));
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

  void Assignment(TSNode n) {
    TSNode left = Field<"left">(n);
    TSNode right = Field<"right">(n);
    bool aug = Is<"augmented_assignment">(n);
    TSNode r = Unparen(right);
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
        op.pos = src_.PosOf(r);
        NoteAcquire(op);
        Add(std::move(op));
      }
      info_[cur_].assigned.emplace_back(src_.Text(Unparen(left)));
      return;
    }
    if (!ts_node_is_null(right)) Visit(right);
    if (aug) {
      TSNode t = Unparen(left);
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

  void VisitArgs(TSNode call) {
    TSNode al = Field<"arguments">(call);
    if (!ts_node_is_null(al)) Visit(al);
  }

  // self.X as a data access (reads and writes of attributes of the method's object).
  bool SelfAccess(TSNode attr, bool write, bool aug) {
    if (s_.self_name.empty()) return false;
    TSNode obj = Field<"object">(attr);
    if (!Is<"identifier">(obj) || src_.Text(obj) != s_.self_name) return false;
    Op op;
    op.kind = OpKind::kAccess;
    op.access.target = AccessTarget::kSelfAttr;
    op.access.name = std::string(src_.Text(Field<"attribute">(attr)));
    op.access.write = write;
    op.access.augmented = aug;
    op.access.pos = src_.PosOf(attr);
    Add(std::move(op));
    return true;
  }

  // `container`: d[k] = v or d.append(x) mutates the object d names, which needs no
  // `global` declaration.
  void GlobalAccess(TSNode id, bool write, bool aug, bool container = false) {
    if (s_.is_module) return;
    std::string name(src_.Text(id));
    Op op;
    op.kind = OpKind::kAccess;
    bool bare_ok = !write || container;
    if (s_.nonlocals.count(name)) {
      op.access.target = AccessTarget::kNonlocal;
    } else if (s_.globals.count(name) ||
               (bare_ok && !s_.IsLocal(name) && !IsEnclosingLocal(name) && s_.IsModuleName(name))) {
      op.access.target = AccessTarget::kGlobal;
    } else {
      return;
    }
    op.access.name = name;
    op.access.write = write;
    op.access.augmented = aug;
    op.access.pos = src_.PosOf(id);
    Add(std::move(op));
  }
  void GlobalRead(TSNode id) { GlobalAccess(id, false, false); }
  void GlobalWrite(TSNode id, bool aug) { GlobalAccess(id, true, aug); }

  bool IsEnclosingLocal(const std::string& name) const {
    for (const Scope* p = s_.parent; p; p = p->parent) {
      if (p->IsLocal(name)) return true;
    }
    return false;
  }

  void Call(TSNode call) {
    TSNode fn = Field<"function">(call);
    Args a = ArgsOf(src_, call);
    if (Is<"attribute">(fn)) {
      TSNode recv = Field<"object">(fn);
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

  void MethodCall(TSNode call, TSNode recv, std::string_view m, const Args& a) {
    Pos pos = src_.PosOf(call);
    if (m == "acquire" || m == "release") {
      if (ts_node_eq(call, skip_call_)) return;
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
      op.cond.op = (m == "wait" || m == "wait_for") ? CondOp::kWait : CondOp::kNotify;
      op.cond.receiver = s_.RefOf(recv);
      op.cond.method = std::string(m);
      op.cond.pos = pos;
      op.cond.in_while = cfg_.nodes[cur_].in_while;
      op.cond.timed = m == "wait" && HasTimeout(src_, a, 0);
      if (m == "wait_for") op.cond.in_while = true;  // wait_for loops on its predicate itself
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
      op.call.callee = std::move(*c);
      op.call.pos = pos;
      Add(std::move(op));
    }
  }

  void NameCall(TSNode call, const std::string& name, const Args& a) {
    if (name == "sleep") {
      auto it = s_.file->imports.find("sleep");
      if (it != s_.file->imports.end() && it->second.module == "time") {
        Blocking(BlockKind::kSleep, TSNode{}, call);
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
      op.call.callee = std::move(*c);
      op.call.pos = src_.PosOf(call);
      Add(std::move(op));
    }
  }

  void ThreadCtor(TSNode call, std::string_view m, const Args& a) {
    auto t = a.keywords.find(m == "Timer" ? "function" : "target");
    if (t != a.keywords.end()) {
      Target(t->second, m == "Timer" ? TargetKind::kTimer : TargetKind::kThread, call, nullptr);
    } else if (m == "Timer" && a.positional.size() >= 2) {
      Target(a.positional[1], TargetKind::kTimer, call, nullptr);
    } else if (m == "Thread" && a.positional.size() >= 2) {
      Target(a.positional[1], TargetKind::kThread, call, nullptr);
    }
  }

  void Target(TSNode fnexpr, TargetKind kind, TSNode call, const TSNode* recv, std::string_view method = {}) {
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
    op.target.callee = std::move(*c);
    op.target.kind = kind;
    op.target.pos = src_.PosOf(call);
    op.target.method = std::string(method);
    if (recv) {
      op.target.via = std::string(src_.Text(*recv));
      op.target.executor = s_.RefOf(*recv);
    }
    Add(std::move(op));
  }

  void Blocking(BlockKind kind, TSNode recv, TSNode call) {
    Op op;
    op.kind = OpKind::kBlocking;
    op.blocking.kind = kind;
    if (!ts_node_is_null(recv)) op.blocking.receiver = s_.RefOf(recv);
    op.blocking.callee_text = std::string(src_.Text(Field<"function">(call)));
    op.blocking.pos = src_.PosOf(call);
    Add(std::move(op));
  }

  // ---- solving ----------------------------------------------------------------------

  static void Normalize(StateSet& s) {
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
  }

  void Limit(StateSet& s) {
    if (s.size() <= kMaxStates) return;
    for (auto& p : s) p.assume.clear();
    Normalize(s);
    if (s.size() > kMaxStates) {
      imprecise_ = true;
      s.resize(kMaxStates);
    }
  }

  // Applies one op to every path state.
  void ApplyOp(const Op& op, StateSet& states, int16_t ordinal) {
    switch (op.kind) {
      case OpKind::kAcquire:
        for (auto& p : states) {
          p.held |= 1u << op.lock;
          p.known |= 1u << op.lock;
          p.released &= ~(1u << op.lock);
          p.site[op.lock] = ordinal;
        }
        break;
      case OpKind::kAcquireAssign: {
        uint32_t id = TestId(op.var);
        StateSet next;
        for (auto p : states) {
          PathState got = p, failed = p;
          got.held |= 1u << op.lock;
          got.known |= 1u << op.lock;
          got.site[op.lock] = ordinal;
          failed.known |= 1u << op.lock;
          failed.released &= ~(1u << op.lock);
          failed.held &= ~(1u << op.lock);
          failed.site[op.lock] = 0;
          Assume(got, id, true);
          Assume(failed, id, false);
          next.push_back(std::move(got));
          next.push_back(std::move(failed));
        }
        states = std::move(next);
        break;
      }
      case OpKind::kRelease:
        for (auto& p : states) {
          if (!(p.known & (1u << op.lock))) p.borrowed |= 1u << op.lock;
          p.released |= 1u << op.lock;
          p.known |= 1u << op.lock;
          p.held &= ~(1u << op.lock);
          p.site[op.lock] = 0;
        }
        break;
      default:
        break;
    }
  }

  static void Assume(PathState& p, uint32_t id, bool v) {
    auto it = std::lower_bound(p.assume.begin(), p.assume.end(), std::make_pair(id, false));
    if (it != p.assume.end() && it->first == id) {
      it->second = v;
    } else {
      p.assume.insert(it, {id, v});
    }
  }

  void Forget(StateSet& states, const std::vector<std::string>& assigned) {
    if (assigned.empty()) return;
    for (auto& p : states) {
      p.assume.erase(std::remove_if(p.assume.begin(), p.assume.end(),
                                    [&](const std::pair<uint32_t, bool>& a) {
                                      for (const auto& tok : test_tokens_[a.first]) {
                                        for (const auto& n : assigned) {
                                          if (tok == n || tok.rfind(n + ".", 0) == 0) return true;
                                        }
                                      }
                                      return false;
                                    }),
                     p.assume.end());
    }
  }

  // The node's effect on its in-states, recording acquire ordinals in op order.
  StateSet Transfer(int id, const StateSet& in) {
    StateSet out = in;
    // An assignment first invalidates what tests said about its target; an
    // `ok = lock.acquire(...)` in the same statement then records the new fact.
    Forget(out, info_[id].assigned);
    for (const Op& op : info_[id].ops) {
      if (op.kind == OpKind::kAcquire || op.kind == OpKind::kAcquireAssign || op.kind == OpKind::kRelease) {
        ApplyOp(op, out, SiteOrdinal(op));
      }
    }
    Normalize(out);
    return out;
  }

  int16_t SiteOrdinal(const Op& op) {
    for (size_t i = 0; i < acquire_sites_.size(); ++i) {
      if (acquire_sites_[i] == op.pos) return static_cast<int16_t>(i + 1);
    }
    return 0;
  }

  // What crosses one edge.
  StateSet Cross(int from, const CfgEdge& e, const StateSet& in, const StateSet& out) {
    const StateSet& src = e.pre ? in : out;
    StateSet r;
    const NodeInfo& ni = info_[from];
    for (PathState p : src) {
      if (e.need_pending >= 0) {
        if (p.pending != e.need_pending) continue;
        p.pending = 0;
      }
      if (e.set_pending >= 0) p.pending = e.set_pending;
      if (e.set_exc >= 0) p.exc = e.set_exc;
      if (e.pre && e.set_exc == static_cast<int8_t>(ExcTag::kImplicit)) {
        // acquire() itself raised: the lock was not taken.
        for (const Op& op : ni.ops) {
          if (op.kind != OpKind::kAcquire && op.kind != OpKind::kAcquireAssign) continue;
          uint32_t b = 1u << op.lock;
          if (!(p.known & b)) p.known |= b;
        }
        if (ni.test_lock >= 0 && !(p.known & (1u << ni.test_lock))) p.known |= 1u << ni.test_lock;
      }
      if (e.cond != 0) {
        bool truth = e.cond == 1;
        if (ni.test_lock >= 0) {
          bool got = truth == ni.test_positive;
          p.known |= 1u << ni.test_lock;
          if (got) {
            p.held |= 1u << ni.test_lock;
            p.site[ni.test_lock] = SiteOrdinalAt(cfg_.nodes[from].ast);
          } else {
            p.held &= ~(1u << ni.test_lock);
          }
        } else if (ni.test_locked >= 0) {
          uint32_t b = 1u << ni.test_locked;
          if ((truth == ni.test_positive) ? !(p.held & b) && (p.known & b) : (p.held & b) != 0) {
            // The check contradicts what this path knows: not this path.
            if (p.known & b) continue;
          }
          if (truth == ni.test_positive) {
            p.held |= b;
          } else {
            p.held &= ~b;
          }
          p.known |= b;
        } else if (ni.test_id >= 0) {
          bool v = truth == ni.test_positive_id;
          auto it = std::lower_bound(p.assume.begin(), p.assume.end(),
                                     std::make_pair(static_cast<uint32_t>(ni.test_id), false));
          if (it != p.assume.end() && it->first == static_cast<uint32_t>(ni.test_id)) {
            if (it->second != v) continue;  // the other branch of a test already decided
          } else {
            p.assume.insert(it, {static_cast<uint32_t>(ni.test_id), v});
          }
        }
      }
      r.push_back(std::move(p));
    }
    return r;
  }

  int16_t SiteOrdinalAt(TSNode test) {
    TSNode t = Unparen(test);
    while (Is<"not_operator">(t)) t = Unparen(Field<"argument">(t));
    Pos pos = src_.PosOf(t);
    for (size_t i = 0; i < acquire_sites_.size(); ++i) {
      if (acquire_sites_[i] == pos) return static_cast<int16_t>(i + 1);
    }
    return 0;
  }

  void Reach() {
    size_t n = cfg_.nodes.size();
    in_.assign(n, {});
    out_states_.assign(n, {});
    std::vector<int> work{cfg_.entry};
    in_[cfg_.entry].push_back(PathState{});
    while (!work.empty()) {
      int id = work.back();
      work.pop_back();
      out_states_[id] = in_[id];
      for (const CfgEdge& e : cfg_.nodes[id].succ) {
        if (!in_[e.to].empty()) continue;
        in_[e.to].push_back(PathState{});
        work.push_back(e.to);
      }
    }
  }

  void Solve() {
    size_t n = cfg_.nodes.size();
    in_.assign(n, {});
    out_states_.assign(n, {});
    std::vector<bool> queued(n, false);
    std::vector<int> work;
    in_[cfg_.entry].push_back(PathState{});
    work.push_back(cfg_.entry);
    queued[cfg_.entry] = true;
    size_t steps = 0;
    while (!work.empty()) {
      if (++steps > 200000) {
        imprecise_ = true;
        return;
      }
      int id = work.back();
      work.pop_back();
      queued[id] = false;
      out_states_[id] = Transfer(id, in_[id]);
      for (const CfgEdge& e : cfg_.nodes[id].succ) {
        StateSet add = Cross(id, e, in_[id], out_states_[id]);
        if (add.empty()) continue;
        StateSet merged = in_[e.to];
        merged.insert(merged.end(), add.begin(), add.end());
        Normalize(merged);
        Limit(merged);
        if (merged != in_[e.to]) {
          in_[e.to] = std::move(merged);
          if (!queued[e.to]) {
            queued[e.to] = true;
            work.push_back(e.to);
          }
        }
      }
    }
  }

  // ---- facts ------------------------------------------------------------------------

  std::vector<Ref> Held(int id, const StateSet& states, size_t with_items) {
    std::vector<Ref> held;
    const CfgNode& n = cfg_.nodes[id];
    for (TSNode v : n.with_values) held.push_back(s_.RefOf(v));
    // Items before this one in the same with statement are held too.
    if (with_items > 0) {
      size_t k = 0;
      for (uint32_t i = 0; i < NamedCount(n.ast) && k < with_items; ++i) {
        TSNode it = NamedChild(n.ast, i);
        if (!Is<"with_item">(it)) continue;
        TSNode v = Field<"value">(it);
        if (Is<"as_pattern">(v)) v = NamedChild(v, 0);
        held.push_back(s_.RefOf(Unparen(v)));
        ++k;
      }
    }
    if (!states.empty()) {
      uint32_t all = ~0u;
      for (const auto& p : states) all &= p.held;
      for (size_t l = 0; l < locks_.size(); ++l) {
        if (all & (1u << l)) held.push_back(locks_[l]);
      }
    }
    std::sort(held.begin(), held.end());
    held.erase(std::unique(held.begin(), held.end()), held.end());
    return held;
  }

  bool AnyWithHolds(int id, const Ref& r) {
    for (TSNode v : cfg_.nodes[id].with_values) {
      if (s_.RefOf(v) == r) return true;
    }
    return false;
  }

  // Releases of a lock the function did not take on that path: it entered holding it
  // (Condition.wait-like) or hands locks between threads (a turnstile). Either way,
  // holding a lock at the exit or releasing twice is the protocol, not a slip.
  void FindBorrowedReleases() {
    for (size_t id = 0; id < cfg_.nodes.size(); ++id) {
      StateSet states = in_[id];
      for (const Op& op : info_[id].ops) {
        if (op.kind == OpKind::kRelease) {
          for (const auto& p : states) {
            if (!(p.known & (1u << op.lock))) {
              borrowed_any_[op.lock] = true;
              if (p.held & p.known & ~(1u << op.lock)) handoff_protocol_ = true;
            }
          }
        }
        ApplyOp(op, states, SiteOrdinal(op));
      }
    }
    for (size_t l = 0; l < locks_.size(); ++l) {
      if (lock_released_[l] && !lock_acquired_[l]) out_.signal_releases.push_back(locks_[l]);
    }
  }

  void Emit() {
    FindBorrowedReleases();
    for (size_t l = 0; l < locks_.size(); ++l) {
      if (lock_released_[l]) out_.releases.push_back(locks_[l]);
    }
    for (size_t id = 0; id < cfg_.nodes.size(); ++id) {
      const StateSet& in = in_[id];
      if (in.empty()) continue;  // unreachable
      StateSet states = in;
      for (const Op& op : info_[id].ops) EmitOp(static_cast<int>(id), op, states);
      EmitExits(static_cast<int>(id));
    }
    if (!cfg_.nodes.empty()) EmitTestAcquires();
  }

  // acquire() inside an if/while test: a fact like any other acquire.
  void EmitTestAcquires() {
    for (size_t id = 0; id < cfg_.nodes.size(); ++id) {
      const NodeInfo& ni = info_[id];
      if (ni.test_lock < 0 || in_[id].empty()) continue;
      AcquireFact f;
      f.ref = locks_[ni.test_lock];
      TSNode t = Unparen(cfg_.nodes[id].ast);
      while (Is<"not_operator">(t)) t = Unparen(Field<"argument">(t));
      f.pos = src_.PosOf(t);
      f.held = Held(static_cast<int>(id), in_[id], 0);
      f.blocking = false;
      out_.acquires.push_back(std::move(f));
    }
  }

  void EmitOp(int id, const Op& op, StateSet& states) {
    switch (op.kind) {
      case OpKind::kAcquire:
      case OpKind::kAcquireAssign: {
        AcquireFact f;
        f.ref = op.ref;
        f.pos = op.pos;
        f.held = Held(id, states, 0);
        f.blocking = !op.may_fail;
        if (f.blocking) {
          for (const auto& p : states) {
            if (p.held & p.known & (1u << op.lock)) {
              out_.doubles.push_back(DoubleAcquireFact{op.ref, op.pos, SitePos(p.site[op.lock]), false});
              break;
            }
          }
          if (AnyWithHolds(id, op.ref)) out_.doubles.push_back(DoubleAcquireFact{op.ref, op.pos, op.pos, true});
        }
        out_.acquires.push_back(std::move(f));
        break;
      }
      case OpKind::kRelease:
        EmitRelease(id, op, states);
        break;
      case OpKind::kWithAcquire: {
        AcquireFact f;
        f.ref = op.ref;
        f.pos = op.pos;
        f.held = Held(id, states, op.with_index);
        f.via_with = true;
        if (std::find(f.held.begin(), f.held.end(), op.ref) != f.held.end()) {
          out_.doubles.push_back(DoubleAcquireFact{op.ref, op.pos, op.pos, true});
        }
        out_.acquires.push_back(std::move(f));
        break;
      }
      case OpKind::kCall: {
        CallFact f = op.call;
        f.held = Held(id, states, 0);
        out_.calls.push_back(std::move(f));
        break;
      }
      case OpKind::kAccess: {
        AccessFact f = op.access;
        f.held = Held(id, states, 0);
        out_.accesses.push_back(std::move(f));
        break;
      }
      case OpKind::kBlocking: {
        BlockingFact f = op.blocking;
        f.held = Held(id, states, 0);
        if (!f.held.empty()) out_.blocking.push_back(std::move(f));
        break;
      }
      case OpKind::kCondOp: {
        CondOpFact f = op.cond;
        f.held = Held(id, states, 0);
        out_.cond_ops.push_back(std::move(f));
        break;
      }
      case OpKind::kTarget:
        out_.targets.push_back(op.target);
        break;
    }
    ApplyOp(op, states, SiteOrdinal(op));
  }

  Pos SitePos(int16_t ordinal) const {
    if (ordinal <= 0 || static_cast<size_t>(ordinal) > acquire_sites_.size()) return {};
    return acquire_sites_[ordinal - 1];
  }

  void EmitRelease(int id, const Op& op, const StateSet& states) {
    if (!lock_acquired_[op.lock]) return;  // a release helper: the caller acquired it
    if (AnyWithHolds(id, op.ref)) return;
    if (handoff_protocol_) return;
    bool unheld = false, after_release = true, unknown = false;
    for (const auto& p : states) {
      uint32_t b = 1u << op.lock;
      if ((p.known & b) && !(p.held & b)) {
        unheld = true;
        after_release &= (p.released & b) != 0;
      } else if (!(p.known & b)) {
        unknown = true;
      }
    }
    if (!unheld && !unknown) return;
    UnheldReleaseFact f;
    f.ref = op.ref;
    f.release = op.pos;
    f.after_release = unheld && after_release;
    f.never_acquired_here = !unheld;  // only paths that never touched it: maybe the caller's
    // acquire() inside the try whose finally/except releases: if it raises (or anything
    // before it in the try does), the handler releases a lock that is not held.
    int t = cfg_.nodes[id].try_stmt;
    if (t >= 0) {
      TSNode body = Field<"body">(cfg_.trys[t].node);
      uint32_t b = ts_node_start_byte(body), e = ts_node_end_byte(body);
      for (size_t i = 0; i < acquire_nodes_.size(); ++i) {
        TSNode a = cfg_.nodes[acquire_nodes_[i]].stmt;
        if (ts_node_start_byte(a) >= b && ts_node_end_byte(a) <= e && SameLockAt(acquire_nodes_[i], op.lock)) {
          f.try_acquire = true;
          f.acquire = acquire_sites_[i];
          break;
        }
      }
    }
    out_.unheld.push_back(std::move(f));
  }

  bool SameLockAt(int node, int lock) const {
    for (const Op& o : info_[node].ops) {
      if ((o.kind == OpKind::kAcquire || o.kind == OpKind::kAcquireAssign) && o.lock == lock) return true;
    }
    return info_[node].test_lock == lock;
  }

  void EmitExits(int id) {
    const CfgNode& n = cfg_.nodes[id];
    for (const CfgEdge& e : n.succ) {
      if (e.to != cfg_.normal_exit && e.to != cfg_.raise_exit) continue;
      StateSet s = Cross(id, e, in_[id], out_states_[id]);
      for (const auto& p : s) {
        for (size_t l = 0; l < locks_.size(); ++l) {
          uint32_t b = 1u << l;
          if (!(p.held & p.known & b) || borrowed_any_[l] || handoff_protocol_) continue;
          MissedReleaseFact f;
          f.ref = locks_[l];
          f.acquire = SitePos(p.site[l]);
          f.function_releases = lock_released_[l];
          f.exit = src_.PosOf(n.stmt);
          if (e.to == cfg_.normal_exit) {
            f.exit_kind = (n.is_return || n.kind == CfgKind::kFinallyExit) ? ExitKind::kReturn : ExitKind::kFallOff;
            if (n.kind == CfgKind::kFinallyExit && p.pending == 0) f.exit_kind = ExitKind::kFallOff;
          } else if (p.exc == static_cast<int8_t>(ExcTag::kExplicit)) {
            f.exit_kind = ExitKind::kRaise;
          } else {
            // An exception from any call: only for locks the function already releases
            // in an except/finally, i.e. where it meant to be exception-safe.
            if (!lock_released_in_handler_[l]) continue;
            f.exit_kind = ExitKind::kImplicitRaise;
          }
          out_.missed.push_back(std::move(f));
        }
      }
    }
  }

  const Scope& s_;
  const Source& src_;
  FunctionFacts& out_;
  Cfg cfg_;
  std::vector<NodeInfo> info_;
  std::vector<Ref> locks_;
  std::array<bool, kMaxLocks> lock_acquired_{};
  std::array<bool, kMaxLocks> lock_released_{};
  std::array<bool, kMaxLocks> lock_released_in_handler_{};
  std::array<bool, kMaxLocks> borrowed_any_{};
  bool handoff_protocol_ = false;
  std::vector<Pos> acquire_sites_;
  std::vector<int> acquire_nodes_;
  std::map<std::string, uint32_t> test_ids_;
  std::vector<std::vector<std::string>> test_tokens_;
  std::vector<StateSet> in_, out_states_;
  int cur_ = 0;
  TSNode skip_call_{};
  bool imprecise_ = false;
};

}  // namespace

void AnalyzeFunction(const Scope& scope, TSNode body, FunctionFacts& out) {
  FunctionAnalysis a(scope, out);
  a.Run(body);
}

}  // namespace pyrace::lint
