#include "tool/lint/project.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "tool/lint/parallel.h"

namespace pyrace::lint {

bool LockishName(const std::string& name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // Split on '_' and digits: "_active_limbo_lock" -> active, limbo, lock.
  std::vector<std::string> toks;
  std::string cur;
  for (char c : lower) {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      cur += c;
    } else {
      if (!cur.empty()) toks.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) toks.push_back(cur);
  for (const auto& t : toks) {
    if (t == "lock" || t == "rlock" || t == "mutex" || t == "mtx" || t == "cond" || t == "condition" ||
        t == "cv" || t == "lck" || t == "wlock" || t == "rwlock") {
      return true;
    }
    if (t.size() > 4 && t.compare(t.size() - 4, 4, "lock") == 0 && t != "block" && t != "clock" &&
        t != "deadlock" && t != "unlock" && t != "flock" && t != "livelock" && t != "gridlock") {
      return true;
    }
  }
  return false;
}

namespace {

std::string_view LastComponent(std::string_view s) {
  size_t p = s.find_last_of(".:");
  return p == std::string_view::npos ? s : s.substr(p + 1);
}

}  // namespace

Project::Project(const std::vector<FileFacts>& files, unsigned jobs) : files_(files) {
  size_t functions = 0;
  for (const auto& f : files_) functions += f.functions.size();
  info_.reserve(functions);
  functions_.reserve(functions);
  for (const auto& f : files_) {
    if (!modules_.count(f.module)) modules_[f.module] = &f;
    for (const auto& [name, cls] : f.classes) {
      for (const auto& m : cls.methods) methods_.emplace(&cls, m);
    }
    for (const auto& fn : f.functions) {
      info_[&fn].file = &f;
      functions_.emplace(FunctionKey(f.module, fn.qualname), &fn);
    }
  }
  // Per file, in parallel: what its calls resolve to and the keys of the locks its
  // functions release and acquire. The maps above are only read meanwhile.
  struct LockKeys {
    std::vector<std::string> releases, signal_releases, acquires;
  };
  std::vector<std::vector<LockKeys>> keys(files_.size());
  ParallelFor(files_.size(), jobs, [&](size_t i) {
    const FileFacts& f = files_[i];
    keys[i].resize(f.functions.size());
    for (size_t j = 0; j < f.functions.size(); ++j) {
      const FunctionFacts& fn = f.functions[j];
      FunctionInfo& in = info_.find(&fn)->second;
      for (const auto& c : fn.calls) in.calls.push_back(ResolveCallIn(&f, fn, c.callee));
      for (const auto& t : fn.targets) in.targets.push_back(ResolveCallIn(&f, fn, t.callee));
      LockKeys& k = keys[i][j];
      for (const auto& r : fn.releases) k.releases.push_back(Resolve(fn, r).key);
      for (const auto& r : fn.signal_releases) k.signal_releases.push_back(Resolve(fn, r).key);
      for (const auto& a : fn.acquires) k.acquires.push_back(Resolve(fn, a.ref).key);
    }
  });
  for (size_t i = 0; i < files_.size(); ++i) {
    for (size_t j = 0; j < files_[i].functions.size(); ++j) {
      const FunctionFacts& fn = files_[i].functions[j];
      const FunctionInfo& in = info_.find(&fn)->second;
      for (size_t c = 0; c < fn.calls.size(); ++c) {
        if (in.calls[c]) callers_[in.calls[c]].push_back({&fn, &fn.calls[c]});
      }
      const LockKeys& k = keys[i][j];
      for (const auto& key : k.releases) releasers_[key].insert(&fn);
      for (const auto& key : k.signal_releases) signalers_[key].insert(&fn);
      const std::set<std::string> released(k.releases.begin(), k.releases.end());
      for (size_t a = 0; a < fn.acquires.size(); ++a) {
        const std::string& key = k.acquires[a];
        if (fn.acquires[a].via_with) {
          releasers_[key].insert(&fn);  // a with-block releases what it takes
        } else if (!released.count(key) && fn.name != "__enter__" && fn.name != "__aenter__") {
          holders_[key].insert(&fn);
        }
      }
    }
  }
  ComputeTargets();
}

const FileFacts* Project::FileOf(const FunctionFacts& fn) const {
  auto it = info_.find(&fn);
  return it == info_.end() ? nullptr : it->second.file;
}

const FunctionFacts* Project::Function(std::string_view module, std::string_view qualname) const {
  auto it = functions_.find(FunctionKey(module, qualname));
  return it == functions_.end() ? nullptr : it->second;
}

Project::ClassRef Project::FindClass(const FileFacts* file, const std::string& name, int depth) const {
  if (!file || depth > 4) return {};
  auto it = file->classes.find(name);
  if (it != file->classes.end()) return {file, &it->second};
  auto im = file->imports.find(name);
  if (im != file->imports.end() && !im->second.name.empty()) {
    auto m = modules_.find(im->second.module);
    if (m != modules_.end()) return FindClass(m->second, im->second.name, depth + 1);
  }
  return {};
}

Project::ClassRef Project::FindBase(const FileFacts* file, const std::string& base) const {
  size_t dot = base.rfind('.');
  if (dot == std::string::npos) return FindClass(file, base);
  std::string head = base.substr(0, dot), name = base.substr(dot + 1);
  auto im = file->imports.find(head);
  std::string mod = head;
  if (im != file->imports.end()) mod = im->second.name.empty() ? im->second.module : im->second.module + "." + im->second.name;
  auto m = modules_.find(mod);
  if (m == modules_.end()) return {};
  return FindClass(m->second, name);
}

bool Project::FindAttr(ClassRef c, const std::string& attr, ClassRef* where, CtorInfo* ctor, int depth) const {
  if (!c.cls || depth > 8) return false;
  auto it = c.cls->attrs.find(attr);
  if (it != c.cls->attrs.end()) {
    *where = c;
    *ctor = it->second;
    return true;
  }
  for (const auto& b : c.cls->bases) {
    if (FindAttr(FindBase(c.file, b), attr, where, ctor, depth + 1)) return true;
  }
  return false;
}

Project::ClassRef Project::ClassCalled(const FileFacts* file, const std::string& callee) const {
  if (!file) return {};
  return callee.find('.') == std::string::npos ? FindClass(file, callee) : FindBase(file, callee);
}

bool Project::HeadCtor(const FileFacts* file, const std::string& class_name, const Ref& r, CtorInfo* ci,
                       const FileFacts** where, int depth) const {
  if (!file || depth > 6) return false;
  switch (r.kind) {
    case RefKind::kGlobal: {
      auto g = file->globals.find(r.a);
      if (g != file->globals.end()) {
        *ci = g->second;
        *where = file;
        return true;
      }
      auto im = file->imports.find(r.a);
      if (im == file->imports.end() || im->second.name.empty()) return false;
      auto m = modules_.find(im->second.module);
      if (m == modules_.end()) return false;
      return HeadCtor(m->second, "", Ref{RefKind::kGlobal, im->second.name, "", "", r.text}, ci, where, depth + 1);
    }
    case RefKind::kSelfAttr:
    case RefKind::kClassAttr: {
      ClassRef c = FindClass(file, r.kind == RefKind::kSelfAttr ? class_name : r.a);
      ClassRef at;
      if (!FindAttr(c, r.kind == RefKind::kSelfAttr ? r.a : r.b, &at, ci)) return false;
      *where = at.file;
      return true;
    }
    case RefKind::kModuleAttr: {
      auto m = modules_.find(r.a);
      if (m == modules_.end()) return false;
      return HeadCtor(m->second, "", Ref{RefKind::kGlobal, r.b, "", "", r.text}, ci, where, depth + 1);
    }
    case RefKind::kLocal: {
      const std::string_view owner = std::string_view(r.a).substr(0, r.a.find(':'));
      const FunctionFacts* f = Function(file->module, owner);
      if (!f) return false;
      auto it = f->local_ctors.find(LastComponent(r.a));
      if (it == f->local_ctors.end()) return false;
      *ci = it->second;
      *where = file;
      return true;
    }
    case RefKind::kOther:
      return false;
  }
  return false;
}

Project::ClassRef Project::InstanceClass(const FileFacts* file, const std::string& class_name,
                                         const std::string& qualname, const Ref& r, int depth) const {
  (void)qualname;
  Ref head = r;
  head.chain.clear();
  CtorInfo ci;
  const FileFacts* where = nullptr;
  if (!HeadCtor(file, class_name, head, &ci, &where, depth) || ci.kind != Ctor::kInstance) return {};
  ClassRef c = ClassCalled(where, ci.cls);
  for (size_t b = 0; c.cls && b < r.chain.size();) {
    size_t e = r.chain.find('.', b);
    if (e == std::string::npos) e = r.chain.size();
    ClassRef at;
    CtorInfo next;
    if (!FindAttr(c, r.chain.substr(b, e - b), &at, &next) || next.kind != Ctor::kInstance) return {};
    c = ClassCalled(at.file, next.cls);
    b = e + 1;
  }
  return c;
}

const FunctionFacts* Project::MethodOf(ClassRef cr, const std::string& m) const {
  for (int depth = 0; cr.cls && depth < 8; ++depth) {
    if (methods_.count(MethodKey(cr.cls, m))) {
      return Function(cr.file->module, cr.cls->name + "." + m);
    }
    ClassRef next;
    for (const auto& b : cr.cls->bases) {
      next = FindBase(cr.file, b);
      if (next.cls) break;
    }
    cr = next;
  }
  return nullptr;
}

std::string Project::ObjectAttrKey(const FunctionFacts& fn, const Ref& object, const std::string& attr) const {
  ClassRef c = InstanceClass(FileOf(fn), ClassContext(fn), fn.qualname, object, 0);
  if (!c.cls) return "";
  return ClassKey(c.file->module, c.cls->name, attr);
}

std::string Project::ClassKey(const std::string& module, const std::string& cls, const std::string& attr) const {
  auto m = modules_.find(module);
  ClassRef c = m == modules_.end() ? ClassRef{} : FindClass(m->second, cls);
  ClassRef where;
  CtorInfo ci;
  if (FindAttr(c, attr, &where, &ci)) return where.file->module + "." + where.cls->name + "." + attr;
  return module + "." + cls + "." + attr;
}

LockId Project::FromCtor(const FileFacts* file, const std::string& class_name, const std::string& qualname,
                         const std::string& key, const std::string& display, const std::string& name,
                         const CtorInfo& ci, int depth) const {
  LockId id;
  id.key = key;
  id.display = display;
  id.name = name;
  id.ctor = ci.kind;
  id.bounded = ci.bounded;
  if (ci.kind == Ctor::kInstance) id.ctor = Ctor::kNone;  // an object, not a synchronisation primitive
  if (ci.kind == Ctor::kSubmitted) {
    // executor.submit() returns a Future; other objects' submit() return whatever they do.
    id.ctor = Ctor::kNone;
    if (ci.arg && depth < 6) {
      Ctor ex = ResolveIn(file, class_name, qualname, *ci.arg, depth + 1).ctor;
      if (ex == Ctor::kThreadExecutor || ex == Ctor::kProcessExecutor) id.ctor = Ctor::kFuture;
    }
  }
  id.reentrant = ci.kind == Ctor::kRLock || ci.kind == Ctor::kCondition;
  if (ci.kind == Ctor::kCondition && ci.arg && depth < 6) {
    // A Condition is its lock: holding the lock holds every condition built on it.
    LockId under = ResolveIn(file, class_name, qualname, *ci.arg, depth + 1);
    id.key = under.key;
    id.name = under.name;  // the Condition's acquisitions are the lock's, under its name
    id.reentrant = under.ctor != Ctor::kLock;
    id.local = under.local;
  }
  return id;
}

LockId Project::ResolveIn(const FileFacts* file, const std::string& class_name, const std::string& qualname,
                          const Ref& r, int depth) const {
  LockId id;
  id.display = r.text;
  id.name = r.text;
  const std::string mod = file ? file->module : "";
  if (!r.chain.empty()) {
    // `self.nw.lock`: the lock attribute of the object's class, the same identity as
    // `self.lock` inside that class. An object of unknown class keeps a per-function one.
    std::string attr(LastComponent(r.chain));
    id.lockish = LockishName(attr);
    Ref owner = r;
    size_t dot = r.chain.rfind('.');
    owner.chain = dot == std::string::npos ? "" : r.chain.substr(0, dot);
    ClassRef c = InstanceClass(file, class_name, qualname, owner, depth);
    if (!c.cls) {
      id.key = mod + "." + qualname + ":" + r.text;
      id.local = true;
      return id;
    }
    ClassRef where;
    CtorInfo ci;
    if (FindAttr(c, attr, &where, &ci)) {
      std::string key = where.file->module + "." + where.cls->name + "." + attr;
      LockId l = FromCtor(where.file, where.cls->name, where.cls->name, key, r.text, where.cls->name + "." + attr, ci, depth);
      l.lockish = id.lockish;
      return l;
    }
    id.key = c.file->module + "." + c.cls->name + "." + attr;
    return id;
  }
  switch (r.kind) {
    case RefKind::kGlobal: {
      id.key = mod + "." + r.a;
      id.lockish = LockishName(r.a);
      if (!file) return id;
      auto g = file->globals.find(r.a);
      if (g != file->globals.end()) {
        // `_lock = make_lock()`: an object of unknown type keeps what its name says.
        LockId l = FromCtor(file, "", "<module>", id.key, r.text, file->module + "." + r.a, g->second, depth);
        l.lockish = id.lockish;
        return l;
      }
      auto im = file->imports.find(r.a);
      if (im == file->imports.end() &&
          std::binary_search(file->module_names.begin(), file->module_names.end(), r.a)) {
        // Bound at module level to something else (`X = None`, then `global X; X =
        // RLock()` in a function): still the module's global, where run's name says.
        id.name = mod + "." + r.a;
      }
      if (im != file->imports.end() && !im->second.name.empty() && depth < 6) {
        auto m = modules_.find(im->second.module);
        Ref g2{RefKind::kGlobal, im->second.name, "", "", r.text};
        if (m != modules_.end()) return ResolveIn(m->second, "", "<module>", g2, depth + 1);
        id.key = im->second.module + "." + im->second.name;
      }
      return id;
    }
    case RefKind::kSelfAttr:
    case RefKind::kClassAttr: {
      std::string cls = r.kind == RefKind::kSelfAttr ? class_name : r.a;
      std::string attr = r.kind == RefKind::kSelfAttr ? r.a : r.b;
      id.lockish = LockishName(attr);
      ClassRef c = FindClass(file, cls);
      ClassRef where;
      CtorInfo ci;
      if (FindAttr(c, attr, &where, &ci)) {
        std::string key = where.file->module + "." + where.cls->name + "." + attr;
        LockId l = FromCtor(where.file, where.cls->name, where.cls->name, key, r.text, where.cls->name + "." + attr, ci, depth);
        l.lockish = id.lockish;
        return l;
      }
      id.key = mod + "." + cls + "." + attr;
      return id;
    }
    case RefKind::kModuleAttr: {
      id.lockish = LockishName(r.b);
      auto m = modules_.find(r.a);
      if (m != modules_.end() && depth < 6) {
        Ref g{RefKind::kGlobal, r.b, "", "", r.text};
        return ResolveIn(m->second, "", "<module>", g, depth + 1);
      }
      id.key = r.a + "." + r.b;
      return id;
    }
    case RefKind::kLocal: {
      id.key = mod + "." + r.a;
      std::string name(LastComponent(r.a));
      id.lockish = LockishName(name);
      id.local = r.b != "closure";
      std::string owner = r.a.substr(0, r.a.find(':'));
      if (const FunctionFacts* f = Function(mod, owner)) {
        auto it = f->local_ctors.find(name);
        if (it != f->local_ctors.end()) {
          LockId l = FromCtor(file, class_name, owner, id.key, r.text, r.text, it->second, depth);
          l.lockish = id.lockish;
          l.local = l.local || id.local;
          return l;
        }
      }
      return id;
    }
    case RefKind::kOther:
      id.key = mod + "." + r.a;
      id.local = true;
      id.lockish = LockishName(r.text.substr(r.text.find_last_of('.') == std::string::npos ? 0 : r.text.find_last_of('.') + 1));
      return id;
  }
  return id;
}

LockId Project::Resolve(const FunctionFacts& fn, const Ref& r) const {
  return ResolveIn(FileOf(fn), ClassContext(fn), fn.qualname, r, 0);
}

const std::string& Project::ClassOfNested(const FunctionFacts& fn) const {
  static const std::string kNone;
  // A function nested in a method sees that method's self: its class is the prefix.
  if (fn.enclosing.empty()) return kNone;
  const FunctionFacts* p = Function(fn.module, fn.enclosing);
  while (p) {
    if (!p->class_name.empty()) return p->class_name;
    if (p->enclosing.empty()) break;
    p = Function(p->module, p->enclosing);
  }
  return kNone;
}

namespace {

// The index of the element of `v` whose member `m` is the object at `p`, or v.size() when
// none is.
template <class T, class M>
size_t IndexOfMember(const std::vector<T>& v, M T::*m, const M* p) {
  if (v.empty()) return v.size();
  const auto base = reinterpret_cast<uintptr_t>(&(v.front().*m));
  const auto at = reinterpret_cast<uintptr_t>(p);
  if (at < base) return v.size();
  const size_t i = (at - base) / sizeof(T);
  return i < v.size() && &(v[i].*m) == p ? i : v.size();
}

}  // namespace

const FunctionFacts* Project::ResolveCall(const FunctionFacts& caller, const Callee& c) const {
  auto it = info_.find(&caller);
  if (it == info_.end()) return nullptr;
  const FunctionInfo& in = it->second;
  if (size_t i = IndexOfMember(caller.calls, &CallFact::callee, &c); i < in.calls.size()) return in.calls[i];
  if (size_t i = IndexOfMember(caller.targets, &TargetFact::callee, &c); i < in.targets.size()) return in.targets[i];
  return ResolveCallIn(in.file, caller, c);
}

const FunctionFacts* Project::ResolveCallIn(const FileFacts* file, const FunctionFacts& caller, const Callee& c) const {
  if (!file) return nullptr;
  switch (c.kind) {
    case CalleeKind::kName: {
      // Nested definitions of the caller and its enclosing functions, then the module.
      std::string nested;
      for (std::string_view scope = caller.qualname;;) {
        nested.assign(scope).append(".").append(c.a);
        if (const FunctionFacts* f = Function(file->module, nested)) return f;
        const FunctionFacts* s = Function(file->module, scope);
        if (!s || s->enclosing.empty()) break;
        scope = s->enclosing;
      }
      if (const FunctionFacts* f = Function(file->module, c.a)) return f;
      auto im = file->imports.find(c.a);
      if (im != file->imports.end() && !im->second.name.empty()) return Function(im->second.module, im->second.name);
      return nullptr;
    }
    case CalleeKind::kSelfMethod:
    case CalleeKind::kClassMethod: {
      const std::string& cls = c.kind == CalleeKind::kSelfMethod ? ClassContext(caller) : c.a;
      return MethodOf(FindClass(file, cls), c.kind == CalleeKind::kSelfMethod ? c.a : c.b);
    }
    case CalleeKind::kModuleAttr:
      return Function(c.a, c.b);
    case CalleeKind::kObject:
      return MethodOf(InstanceClass(file, ClassContext(caller), caller.qualname, c.object, 0), c.b);
  }
  return nullptr;
}

bool Project::IsThreadClass(ClassRef c, int depth) const {
  if (!c.cls || depth > 8) return false;
  for (const auto& b : c.cls->bases) {
    if (b == "Thread" || b == "threading.Thread" || b == "_thread.Thread") {
      auto im = c.file->imports.find("Thread");
      if (b != "Thread" || (im != c.file->imports.end() && im->second.module == "threading") ||
          c.file->module == "threading") {
        return true;
      }
    }
    if (IsThreadClass(FindBase(c.file, b), depth + 1)) return true;
  }
  return false;
}

bool Project::IsThreadClassMethod(const FunctionFacts& f) const {
  if (f.class_name.empty()) return false;
  return IsThreadClass(FindClass(FileOf(f), f.class_name));
}

void Project::ComputeTargets() {
  for (const auto& file : files_) {
    for (const auto& fn : file.functions) {
      for (const auto& t : fn.targets) {
        if (t.kind == TargetKind::kExecutor && t.executor) {
          LockId ex = Resolve(fn, *t.executor);
          if (ex.ctor == Ctor::kProcessExecutor) continue;
          if (t.method == "map" && ex.ctor != Ctor::kThreadExecutor) continue;
        }
        if (const FunctionFacts* f = ResolveCall(fn, t.callee)) targets_.insert(f);
      }
      if (fn.name == "run" && IsThreadClassMethod(fn)) targets_.insert(&fn);
    }
  }
  std::vector<const FunctionFacts*> work(targets_.begin(), targets_.end());
  reachable_ = targets_;
  while (!work.empty()) {
    const FunctionFacts* f = work.back();
    work.pop_back();
    for (const auto& c : f->calls) {
      const FunctionFacts* g = ResolveCall(*f, c.callee);
      if (g && reachable_.insert(g).second) work.push_back(g);
    }
  }
}

const std::vector<Project::CallSite>& Project::CallersOf(const FunctionFacts* f) const {
  static const std::vector<CallSite> kNone;
  auto it = callers_.find(f);
  return it == callers_.end() ? kNone : it->second;
}

namespace {
// The functions a lock key maps to, or none.
const std::set<const FunctionFacts*>& FunctionsOf(const std::map<std::string, std::set<const FunctionFacts*>>& m,
                                                  const std::string& key) {
  static const std::set<const FunctionFacts*> kNone;
  auto it = m.find(key);
  return it == m.end() ? kNone : it->second;
}
}  // namespace

const std::set<const FunctionFacts*>& Project::HoldersOf(const std::string& key) const {
  return FunctionsOf(holders_, key);
}

const std::set<const FunctionFacts*>& Project::SignalersOf(const std::string& key) const {
  return FunctionsOf(signalers_, key);
}

const std::set<const FunctionFacts*>& Project::ReleasersOf(const std::string& key) const {
  return FunctionsOf(releasers_, key);
}

std::vector<Project::Acquired> Project::AcquiresThrough(const FunctionFacts* f, int depth) const {
  std::vector<Acquired> out;
  std::set<const FunctionFacts*> seen;
  std::vector<std::pair<const FunctionFacts*, int>> work{{f, 0}};
  while (!work.empty()) {
    auto [g, d] = work.back();
    work.pop_back();
    if (!seen.insert(g).second) continue;
    for (const auto& a : g->acquires) {
      if (!a.blocking) continue;  // a try-acquire cannot deadlock
      LockId l = Resolve(*g, a.ref);
      if (l.IsSharedLock()) out.push_back({l, a.pos, g});
    }
    if (d < depth) {
      for (const auto& c : g->calls) {
        if (const FunctionFacts* h = ResolveCall(*g, c.callee)) work.push_back({h, d + 1});
      }
    }
  }
  return out;
}

}  // namespace pyrace::lint
