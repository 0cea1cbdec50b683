#include "tool/lint/extract.h"

#include <algorithm>
#include <string_view>

namespace pyrace::lint {
namespace {

std::string Str(std::string_view v) { return std::string(v); }

// The name a constructor call ends in: "threading.Lock" -> "Lock".
std::string_view CalleeTail(const Source& src, Node call) {
  Node fn = Field<"function">(call);
  if (Is<"attribute">(fn)) return src.Text(Field<"attribute">(fn));
  if (Is<"identifier">(fn)) return src.Text(fn);
  return {};
}

// Whether statements can be nested in it: definitions, `with` statements and
// assignment statements are found by descending through these only, never through the
// expressions of a simple statement (lambdas aside, no definition lives in one).
bool MayHoldStatements(Node n) {
  if (n.IsNull()) return false;
  const TSSymbol s = n.Symbol();
  return s == SymbolId<"block">() || s == SymbolId<"if_statement">() || s == SymbolId<"elif_clause">() ||
         s == SymbolId<"else_clause">() || s == SymbolId<"for_statement">() || s == SymbolId<"while_statement">() ||
         s == SymbolId<"try_statement">() || s == SymbolId<"except_clause">() ||
         s == SymbolId<"except_group_clause">() || s == SymbolId<"finally_clause">() ||
         s == SymbolId<"with_statement">() || s == SymbolId<"match_statement">() || s == SymbolId<"case_clause">() ||
         s == SymbolId<"decorated_definition">();
}

// `Name` or `a.b.Name`: something a class can be called by.
bool IsDottedName(Node n) {
  while (Is<"attribute">(n)) n = Field<"object">(n);
  return Is<"identifier">(n);
}

// Records what a name was assigned from. A later call of unknown meaning does not hide a
// synchronisation object the name was built as.
void KeepCtor(CtorMap& m, const std::string& name, const CtorInfo& ci) {
  if (ci.kind == Ctor::kNone) return;
  auto it = m.find(name);
  if (it != m.end() && ci.kind == Ctor::kInstance && it->second.kind != Ctor::kInstance) return;
  m[name] = ci;
}

Ctor CtorByName(std::string_view n) {
  if (n == "Lock" || n == "allocate_lock" || n == "allocate" || n == "LockType") return Ctor::kLock;
  if (n == "RLock" || n == "_RLock" || n == "_PyRLock" || n == "_CRLock") return Ctor::kRLock;
  if (n == "Condition") return Ctor::kCondition;
  if (n == "Semaphore" || n == "BoundedSemaphore") return Ctor::kSemaphore;
  if (n == "Event") return Ctor::kEvent;
  if (n == "Barrier") return Ctor::kBarrier;
  if (n == "Queue" || n == "SimpleQueue" || n == "LifoQueue" || n == "PriorityQueue" || n == "JoinableQueue")
    return Ctor::kQueue;
  if (n == "Thread" || n == "Timer") return Ctor::kThread;
  if (n == "ThreadPoolExecutor" || n == "ThreadPool") return Ctor::kThreadExecutor;
  if (n == "ProcessPoolExecutor" || n == "Pool") return Ctor::kProcessExecutor;
  if (n == "Future") return Ctor::kFuture;
  return Ctor::kNone;
}

void CollectParams(const Source& src, Node params, std::set<std::string>& out, std::string* first) {
  for (uint32_t i = 0; i < NamedCount(params); ++i) {
    Node p = NamedChild(params, i);
    Node id{};
    if (Is<"identifier">(p)) {
      id = p;
    } else if (Is<"default_parameter">(p) || Is<"typed_default_parameter">(p)) {
      id = Field<"name">(p);
    } else if (Is<"typed_parameter">(p) || Is<"list_splat_pattern">(p) || Is<"dictionary_splat_pattern">(p)) {
      for (uint32_t j = 0; j < NamedCount(p); ++j) {
        if (Is<"identifier">(NamedChild(p, j))) { id = NamedChild(p, j); break; }
      }
    }
    if (id.IsNull()) continue;
    if (first && first->empty() && i == 0 && !Is<"list_splat_pattern">(p) && !Is<"dictionary_splat_pattern">(p)) {
      *first = Str(src.Text(id));
    }
    out.insert(Str(src.Text(id)));
  }
}

void TargetNames(const Source& src, Node t, std::set<std::string>& out) {
  t = Unparen(t);
  if (Is<"identifier">(t)) {
    out.insert(Str(src.Text(t)));
    return;
  }
  if (Is<"attribute">(t) || Is<"subscript">(t)) return;
  for (uint32_t i = 0; i < NamedCount(t); ++i) TargetNames(src, NamedChild(t, i), out);
}

// Locals of a function body: everything bound in it, not descending into nested scopes.
struct LocalScan {
  const Source& src;
  std::set<std::string>& locals;
  std::set<std::string>& globals;
  std::set<std::string>& nonlocals;
  std::map<std::string, int> assign_count;
  std::map<std::string, Node> single_value;

  void Walk(Node n) {
    ForEachNamed(n, [&](Node ch) { Visit(ch); });
  }

  void Visit(Node ch) {
    {
      const TSSymbol sym = ch.Symbol();
      if (sym == SymbolId<"function_definition">() || sym == SymbolId<"class_definition">()) {
        locals.insert(Str(src.Text(Field<"name">(ch))));
        return;
      }
      if (sym == SymbolId<"lambda">()) return;
      if (sym == SymbolId<"global_statement">() || sym == SymbolId<"nonlocal_statement">()) {
        auto& dst = sym == SymbolId<"global_statement">() ? globals : nonlocals;
        for (uint32_t j = 0; j < NamedCount(ch); ++j) dst.insert(Str(src.Text(NamedChild(ch, j))));
        return;
      }
      if (sym == SymbolId<"assignment">()) {
        Node l = Unparen(Field<"left">(ch));
        std::set<std::string> names;
        TargetNames(src, l, names);
        for (const auto& nm : names) {
          locals.insert(nm);
          ++assign_count[nm];
        }
        if (Is<"identifier">(l) && !Field<"right">(ch).IsNull()) {
          single_value[Str(src.Text(l))] = Unparen(Field<"right">(ch));
        }
      } else if (sym == SymbolId<"augmented_assignment">()) {
        TargetNames(src, Field<"left">(ch), locals);
        std::set<std::string> names;
        TargetNames(src, Field<"left">(ch), names);
        for (const auto& nm : names) assign_count[nm] += 2;
      } else if (sym == SymbolId<"for_statement">() || sym == SymbolId<"for_in_clause">()) {
        std::set<std::string> names;
        TargetNames(src, Field<"left">(ch), names);
        for (const auto& nm : names) {
          locals.insert(nm);
          assign_count[nm] += 2;
        }
      } else if (sym == SymbolId<"with_item">()) {
        Node v = Field<"value">(ch);
        if (Is<"as_pattern">(v)) {
          std::set<std::string> names;
          TargetNames(src, Field<"alias">(v), names);
          for (const auto& nm : names) {
            locals.insert(nm);
            assign_count[nm] += 2;
          }
        }
      } else if (sym == SymbolId<"except_clause">()) {
        Node alias = Field<"alias">(ch);
        if (!alias.IsNull()) TargetNames(src, alias, locals);
      } else if (sym == SymbolId<"named_expression">()) {
        std::string nm = Str(src.Text(Field<"name">(ch)));
        locals.insert(nm);
        assign_count[nm] += 2;
      } else if (sym == SymbolId<"import_statement">() || sym == SymbolId<"import_from_statement">()) {
        for (uint32_t j = 0; j < NamedCount(ch); ++j) {
          Node x = NamedChild(ch, j);
          if (Is<"aliased_import">(x)) {
            locals.insert(Str(src.Text(Field<"alias">(x))));
          } else if (Is<"dotted_name">(x) && (sym == SymbolId<"import_statement">() || j > 0)) {
            std::string_view t = src.Text(x);
            locals.insert(Str(t.substr(0, t.find('.'))));
          }
        }
      }
      Walk(ch);
    }
  }
};

// The facts of every file stay in memory until the project pass ends: vectors grown by
// push_back give back their spare capacity (up to half of what they hold).
template <class T>
void Fit(std::vector<T>& v) {
  v.shrink_to_fit();
}
void Fit(FunctionFacts& f) {
  for (auto& a : f.acquires) Fit(a.held);
  for (auto& c : f.calls) Fit(c.held);
  for (auto& a : f.accesses) Fit(a.held);
  for (auto& b : f.blocking) Fit(b.held);
  for (auto& c : f.cond_ops) Fit(c.held);
  Fit(f.acquires);
  Fit(f.releases);
  Fit(f.signal_releases);
  Fit(f.calls);
  Fit(f.accesses);
  Fit(f.blocking);
  Fit(f.cond_ops);
  Fit(f.targets);
  Fit(f.missed);
  Fit(f.unheld);
  Fit(f.doubles);
}

std::string ResolveRelative(const std::string& module, bool is_package, std::string_view spec) {
  size_t dots = 0;
  while (dots < spec.size() && spec[dots] == '.') ++dots;
  if (dots == 0) return Str(spec);
  std::string base = module;
  size_t up = is_package ? dots - 1 : dots;
  for (size_t i = 0; i < up; ++i) {
    size_t p = base.rfind('.');
    base = p == std::string::npos ? "" : base.substr(0, p);
  }
  std::string rest = Str(spec.substr(dots));
  if (base.empty()) return rest;
  return rest.empty() ? base : base + "." + rest;
}

class FileExtractor {
 public:
  FileExtractor(const Source& src, const std::string& module, FileFacts& out)
      : src_(src), out_(out) {
    out_.module = module;
    is_package_ = src.path().size() >= 11 && src.path().compare(src.path().size() - 11, 11, "__init__.py") == 0;
  }

  void Run() {
    Node root = src_.root();
    ModuleLevel(root);
    std::sort(module_names_.begin(), module_names_.end());
    module_names_.erase(std::unique(module_names_.begin(), module_names_.end()), module_names_.end());
    out_.module_names = module_names_;

    Scope mod;
    mod.src = &src_;
    mod.file = &out_;
    mod.qualname = "<module>";
    mod.is_module = true;
    FunctionFacts top;
    top.module = out_.module;
    top.qualname = "<module>";
    top.name = "<module>";
    top.pos = Pos{1, 1, 1, 1};
    AnalyzeFunction(mod, root, top);
    Fit(top);
    out_.functions.push_back(std::move(top));
    Definitions(root, mod, "");
    Fit(out_.functions);
  }

 private:
  // Imports, module-level names and constructor calls, and classes, including those
  // nested in top-level if/try blocks.
  void ModuleLevel(Node block) {
    ForEachNamed(block, [&](Node s) { ModuleStatement(s); });
  }

  void ModuleStatement(Node s) {
    {
      if (Is<"import_statement">(s) || Is<"import_from_statement">(s)) {
        Imports(s);
      } else if (Is<"expression_statement">(s) && NamedCount(s) == 1 && Is<"assignment">(NamedChild(s, 0))) {
        Node a = NamedChild(s, 0);
        std::set<std::string> names;
        TargetNames(src_, Field<"left">(a), names);
        module_names_.insert(module_names_.end(), names.begin(), names.end());
        Node l = Unparen(Field<"left">(a));
        if (Is<"identifier">(l)) {
          Scope tmp;
          tmp.src = &src_;
          tmp.file = &out_;
          tmp.is_module = true;
          KeepCtor(out_.globals, Str(src_.Text(l)), CtorOf(tmp, Field<"right">(a)));
        }
      } else if (Is<"class_definition">(s) || Is<"decorated_definition">(s)) {
        Node d = Is<"decorated_definition">(s) ? Field<"definition">(s) : s;
        if (Is<"class_definition">(d)) Class(d);
      } else if (Is<"if_statement">(s) || Is<"try_statement">(s) || Is<"with_statement">(s)) {
        ForEachBlock(s);
      }
    }
  }

  void ForEachBlock(Node s) {
    for (uint32_t i = 0; i < NamedCount(s); ++i) {
      Node ch = NamedChild(s, i);
      if (Is<"block">(ch)) {
        ModuleLevel(ch);
      } else if (Is<"elif_clause">(ch) || Is<"else_clause">(ch) || Is<"except_clause">(ch) ||
                 Is<"finally_clause">(ch)) {
        ForEachBlock(ch);
      }
    }
  }

  void Imports(Node s) {
    if (Is<"import_statement">(s)) {
      for (uint32_t j = 0; j < NamedCount(s); ++j) {
        Node x = NamedChild(s, j);
        if (Is<"aliased_import">(x)) {
          out_.imports[Str(src_.Text(Field<"alias">(x)))] = Import{Str(src_.Text(Field<"name">(x))), ""};
        } else if (Is<"dotted_name">(x)) {
          std::string_view t = src_.Text(x);
          std::string head = Str(t.substr(0, t.find('.')));
          out_.imports[head] = Import{head, ""};
        }
      }
      return;
    }
    Node modnode = Field<"module_name">(s);
    std::string mod = ResolveRelative(out_.module, is_package_, src_.Text(modnode));
    for (uint32_t j = 0; j < NamedCount(s); ++j) {
      Node x = NamedChild(s, j);
      if (x == modnode) continue;
      if (Is<"aliased_import">(x)) {
        out_.imports[Str(src_.Text(Field<"alias">(x)))] = Import{mod, Str(src_.Text(Field<"name">(x)))};
      } else if (Is<"dotted_name">(x)) {
        std::string n = Str(src_.Text(x));
        out_.imports[n] = Import{mod, n};
      }
    }
  }

  void Class(Node c) {
    ClassFacts cf;
    cf.name = Str(src_.Text(Field<"name">(c)));
    Node sup = Field<"superclasses">(c);
    for (uint32_t i = 0; i < NamedCount(sup); ++i) {
      Node b = NamedChild(sup, i);
      if (!Is<"keyword_argument">(b)) cf.bases.push_back(Str(src_.Text(b)));
    }
    Node body = Field<"body">(c);
    Scope tmp;
    tmp.src = &src_;
    tmp.file = &out_;
    tmp.class_name = cf.name;
    ForEachNamed(body, [&](Node s) {
      if (Is<"expression_statement">(s) && NamedCount(s) == 1 && Is<"assignment">(NamedChild(s, 0))) {
        Node a = NamedChild(s, 0);
        Node l = Unparen(Field<"left">(a));
        if (Is<"identifier">(l)) {
          KeepCtor(cf.attrs, Str(src_.Text(l)), CtorOf(tmp, Field<"right">(a)));
        }
      }
      Node d = Is<"decorated_definition">(s) ? Field<"definition">(s) : s;
      if (Is<"function_definition">(d)) {
        cf.methods.push_back(Str(src_.Text(Field<"name">(d))));
        std::string self;
        std::set<std::string> params;
        CollectParams(src_, Field<"parameters">(d), params, &self);
        tmp.self_name = self;
        SelfAttrCtors(Field<"body">(d), tmp, cf);
      }
    });
    out_.classes[cf.name] = std::move(cf);
  }

  // self.X = Lock() anywhere in a method body.
  void SelfAttrCtors(Node n, const Scope& sc, ClassFacts& cf) {
    ForEachNamed(n, [&](Node ch) {
      if (Is<"function_definition">(ch) || Is<"class_definition">(ch) || Is<"lambda">(ch)) return;
      if (Is<"assignment">(ch)) {
        Node l = Unparen(Field<"left">(ch));
        if (Is<"attribute">(l) && Is<"identifier">(Field<"object">(l)) && !sc.self_name.empty() &&
            src_.Text(Field<"object">(l)) == sc.self_name) {
          CtorInfo ci = CtorOf(sc, Field<"right">(ch));
          std::string attr = Str(src_.Text(Field<"attribute">(l)));
          auto it = cf.attrs.find(attr);
          if (it == cf.attrs.end() || it->second.kind == Ctor::kInstance) KeepCtor(cf.attrs, attr, ci);
        }
      }
      if (MayHoldStatements(ch) || Is<"expression_statement">(ch) || Is<"assignment">(ch)) SelfAttrCtors(ch, sc, cf);
    });
  }

  // Every function and method (nested ones too) with its own scope and dataflow.
  void Definitions(Node n, const Scope& parent, const std::string& class_name) {
    ForEachNamed(n, [&](Node ch) {
      Node d = Is<"decorated_definition">(ch) ? Field<"definition">(ch) : ch;
      if (Is<"function_definition">(d)) {
        Function(d, parent, class_name);
        return;
      }
      if (Is<"class_definition">(d)) {
        // Methods of nested classes resolve self within that class.
        Definitions(Field<"body">(d), parent, Str(src_.Text(Field<"name">(d))));
        return;
      }
      if (!MayHoldStatements(ch)) return;
      Definitions(ch, parent, class_name);
    });
  }

  void Function(Node d, const Scope& parent, const std::string& class_name) {
    Scope sc;
    sc.src = &src_;
    sc.file = &out_;
    sc.parent = parent.is_module ? nullptr : &parent;
    std::string name = Str(src_.Text(Field<"name">(d)));
    bool is_method = !class_name.empty();
    std::string prefix = parent.is_module ? "" : parent.qualname + ".";
    sc.qualname = prefix + (is_method ? class_name + "." + name : name);
    std::string first;
    CollectParams(src_, Field<"parameters">(d), sc.locals, &first);
    if (is_method) {
      sc.class_name = class_name;
      bool is_static = false;
      Node p = d.Parent();
      if (Is<"decorated_definition">(p)) {
        for (uint32_t i = 0; i < NamedCount(p); ++i) {
          if (Is<"decorator">(NamedChild(p, i)) && src_.Text(NamedChild(p, i)) == "@staticmethod") is_static = true;
        }
      }
      if (!is_static) sc.self_name = first;
    } else if (!parent.class_name.empty()) {
      // A nested function sees the enclosing method's self as a closure.
      sc.class_name = parent.class_name;
      sc.self_name = parent.self_name;
    }
    LocalScan ls{src_, sc.locals, sc.globals, sc.nonlocals, {}, {}};
    Node body = Field<"body">(d);
    ls.Walk(body);
    if (!is_method && !parent.class_name.empty() && sc.locals.count(sc.self_name)) sc.self_name.clear();
    // lock = self._lock: a local alias of a lock that outlives the call.
    for (const auto& [nm, cnt] : ls.assign_count) {
      if (cnt != 1 || sc.globals.count(nm)) continue;
      auto it = ls.single_value.find(nm);
      if (it == ls.single_value.end()) continue;
      Node v = it->second;
      if (Is<"attribute">(v) || Is<"identifier">(v)) {
        Ref r = sc.RefOf(v);
        if (r.kind != RefKind::kOther && r.kind != RefKind::kLocal) sc.aliases[nm] = r;
      }
    }
    FunctionFacts f;
    f.module = out_.module;
    f.qualname = sc.qualname;
    f.name = name;
    f.class_name = is_method ? class_name : "";
    f.enclosing = parent.is_module ? "" : parent.qualname;
    f.pos = src_.PosOf(Field<"name">(d));
    for (const auto& [nm, v] : ls.single_value) {
      if (ls.assign_count[nm] != 1) continue;
      CtorInfo ci = CtorOf(sc, v);
      if (ci.kind != Ctor::kNone) f.local_ctors[nm] = ci;
    }
    WithAsCtors(body, sc, f);
    AnalyzeFunction(sc, body, f);
    Fit(f);
    out_.functions.push_back(std::move(f));
    Definitions(body, sc, "");
  }

  // `with ThreadPoolExecutor() as ex:` types ex.
  void WithAsCtors(Node n, const Scope& sc, FunctionFacts& f) {
    ForEachNamed(n, [&](Node ch) {
      if (Is<"function_definition">(ch) || Is<"class_definition">(ch) || Is<"lambda">(ch)) return;
      if (Is<"with_item">(ch)) {
        Node v = Field<"value">(ch);
        if (Is<"as_pattern">(v)) {
          Node alias = Unparen(Field<"alias">(v));
          if (Is<"as_pattern_target">(alias) && NamedCount(alias) == 1) alias = NamedChild(alias, 0);
          CtorInfo ci = CtorOf(sc, NamedChild(v, 0));
          if (ci.kind != Ctor::kNone && Is<"identifier">(alias)) f.local_ctors[Str(src_.Text(alias))] = ci;
        }
      }
      if (MayHoldStatements(ch) || Is<"with_clause">(ch)) WithAsCtors(ch, sc, f);
    });
  }

  const Source& src_;
  FileFacts& out_;
  bool is_package_ = false;
  std::vector<std::string> module_names_;
};

}  // namespace

bool Scope::IsModuleName(const std::string& name) const {
  return std::binary_search(file->module_names.begin(), file->module_names.end(), name);
}

Ref Scope::RefOf(Node e) const {
  e = Unparen(e);
  Ref r;
  r.text = Str(src->Text(e));
  if (Is<"identifier">(e)) {
    std::string n = r.text;
    auto al = aliases.find(n);
    if (al != aliases.end()) {
      Ref a = al->second;
      a.text = r.text;
      return a;
    }
    if (!is_module && IsLocal(n) && !nonlocals.count(n)) {
      r.kind = RefKind::kLocal;
      r.a = qualname + ":" + n;
      return r;
    }
    for (const Scope* p = parent; p; p = p->parent) {
      if (p->IsLocal(n)) {
        auto pa = p->aliases.find(n);
        if (pa != p->aliases.end()) {
          Ref a = pa->second;
          a.text = r.text;
          return a;
        }
        r.kind = RefKind::kLocal;
        r.a = p->qualname + ":" + n;
        r.b = "closure";
        return r;
      }
    }
    r.kind = RefKind::kGlobal;
    r.a = n;
    return r;
  }
  if (Is<"attribute">(e)) {
    Node obj = Unparen(Field<"object">(e));
    std::string attr = Str(src->Text(Field<"attribute">(e)));
    if (Is<"identifier">(obj)) {
      std::string o = Str(src->Text(obj));
      if (!self_name.empty() && o == self_name) {
        r.kind = RefKind::kSelfAttr;
        r.a = attr;
        return r;
      }
      if (o == class_name && !class_name.empty()) {
        r.kind = RefKind::kSelfAttr;
        r.a = attr;
        return r;
      }
      if (!IsLocal(o)) {
        if (file->classes.count(o)) {
          r.kind = RefKind::kClassAttr;
          r.a = o;
          r.b = attr;
          return r;
        }
        auto im = file->imports.find(o);
        if (im != file->imports.end()) {
          r.kind = RefKind::kModuleAttr;
          r.a = im->second.name.empty() ? im->second.module : im->second.module + "." + im->second.name;
          r.b = attr;
          return r;
        }
      }
    }
    if (Is<"call">(obj) && src->Text(Field<"function">(obj)) == "type" && !class_name.empty()) {
      r.kind = RefKind::kSelfAttr;
      r.a = attr;
      return r;
    }
    // An attribute of a named object (`self.nw.lock`, `stats.lock`): the object's name
    // with the attribute chained on; the project pass follows what was assigned.
    if (Is<"identifier">(obj) || Is<"attribute">(obj)) {
      Ref base = RefOf(obj);
      if (base.kind != RefKind::kOther) {
        base.chain = base.chain.empty() ? attr : base.chain + "." + attr;
        base.text = r.text;
        return base;
      }
    }
  }
  r.kind = RefKind::kOther;
  r.a = qualname + ":" + r.text;
  return r;
}

std::optional<Callee> Scope::CalleeOf(Node fn) const {
  fn = Unparen(fn);
  Callee c;
  c.text = Str(src->Text(fn));
  if (Is<"identifier">(fn)) {
    c.kind = CalleeKind::kName;
    c.a = c.text;
    return c;
  }
  if (!Is<"attribute">(fn)) return std::nullopt;
  Node obj = Unparen(Field<"object">(fn));
  std::string m = Str(src->Text(Field<"attribute">(fn)));
  // A method of an object the code assigned: `stats.hit`, `self.nw.update`, `w.run`.
  auto object_method = [&]() -> std::optional<Callee> {
    Ref r = RefOf(obj);
    if (r.kind == RefKind::kOther) return std::nullopt;
    c.kind = CalleeKind::kObject;
    c.b = m;
    c.object = std::move(r);
    return c;
  };
  if (Is<"attribute">(obj)) return object_method();
  if (!Is<"identifier">(obj)) return std::nullopt;
  std::string o = Str(src->Text(obj));
  if (!self_name.empty() && o == self_name) {
    c.kind = CalleeKind::kSelfMethod;
    c.a = m;
    return c;
  }
  if (IsLocal(o)) return object_method();
  if (file->classes.count(o)) {
    c.kind = CalleeKind::kClassMethod;
    c.a = o;
    c.b = m;
    return c;
  }
  auto im = file->imports.find(o);
  if (im != file->imports.end()) {
    c.kind = CalleeKind::kModuleAttr;
    c.a = im->second.name.empty() ? im->second.module : im->second.module + "." + im->second.name;
    c.b = m;
    return c;
  }
  return object_method();
}

CtorInfo CtorOf(const Scope& scope, Node expr) {
  CtorInfo ci;
  expr = Unparen(expr);
  if (!Is<"call">(expr)) return ci;
  const Source& src = *scope.src;
  ci.kind = CtorByName(CalleeTail(src, expr));
  if (ci.kind == Ctor::kNone) {
    Node fn = Unparen(Field<"function">(expr));
    if (Is<"attribute">(fn) && src.Text(Field<"attribute">(fn)) == "submit") {
      ci.kind = Ctor::kSubmitted;
      ci.arg = scope.RefOf(Field<"object">(fn));
    } else if (IsDottedName(fn)) {
      // Whether it names a class is for the project pass to say, after every file is read.
      ci.kind = Ctor::kInstance;
      ci.cls = Str(src.Text(fn));
    }
    return ci;
  }
  if (ci.kind == Ctor::kQueue) {
    Node al = Field<"arguments">(expr);
    for (uint32_t i = 0; i < NamedCount(al); ++i) {
      Node a = NamedChild(al, i);
      if (Is<"comment">(a)) continue;
      if (Is<"keyword_argument">(a)) {
        if (src.Text(Field<"name">(a)) == "maxsize") ci.bounded = src.Text(Field<"value">(a)) != "0";
        continue;
      }
      ci.bounded = src.Text(a) != "0";
      break;
    }
  }
  if (ci.kind == Ctor::kCondition) {
    Node al = Field<"arguments">(expr);
    for (uint32_t i = 0; i < NamedCount(al); ++i) {
      Node a = NamedChild(al, i);
      if (Is<"keyword_argument">(a)) {
        if (src.Text(Field<"name">(a)) == "lock") ci.arg = scope.RefOf(Field<"value">(a));
        continue;
      }
      if (Is<"comment">(a)) continue;
      if (Is<"call">(Unparen(a))) break;  // Condition(Lock()): a private lock
      if (src.Text(a) != "None") ci.arg = scope.RefOf(a);
      break;
    }
  }
  return ci;
}

void ExtractFile(const Source& src, const std::string& module, FileFacts& out) {
  FileExtractor x(src, module, out);
  x.Run();
}

}  // namespace pyrace::lint
