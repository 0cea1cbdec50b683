// The project pass: resolves the symbolic facts of every file into project-wide identities
// (which lock a `self._lock` is, of what type, across base classes and imports), resolves
// calls one file could not, and finds the code reachable from thread targets.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "tool/lint/facts.h"

namespace pyrace::lint {

struct LockId {
  std::string key;        // "pkg.mod.Class.attr", "pkg.mod.name"; per-call locks get a scoped key
  std::string display;    // as written at the use site
  // What messages call it: the name `pyrace run` gives the same lock (where the program
  // keeps it: "Ledger.log_lock", "bank.LOCK"), the source text when that is unknown.
  std::string name;
  Ctor ctor = Ctor::kNone;
  bool reentrant = false;  // RLock, or a Condition over one (the default)
  bool lockish = false;    // untyped but named like a lock
  bool local = false;      // created per call or otherwise function-scoped
  bool bounded = false;    // a Queue with a maxsize
  bool IsLock() const {
    return ctor == Ctor::kLock || ctor == Ctor::kRLock || ctor == Ctor::kCondition ||
           (ctor == Ctor::kNone && lockish);
  }
  // A lock other threads can contend on (module, class or closure scoped).
  bool IsSharedLock() const { return IsLock() && !local; }
};

class Project {
 public:
  // Resolves the files' calls and lock references on up to `jobs` threads.
  explicit Project(const std::vector<FileFacts>& files, unsigned jobs = 1);

  const std::vector<FileFacts>& files() const { return files_; }

  LockId Resolve(const FunctionFacts& fn, const Ref& r) const;
  const FunctionFacts* ResolveCall(const FunctionFacts& caller, const Callee& c) const;
  const FileFacts* FileOf(const FunctionFacts& fn) const;

  bool IsThreadTarget(const FunctionFacts* f) const { return targets_.count(f) > 0; }
  bool IsThreadReachable(const FunctionFacts* f) const { return reachable_.count(f) > 0; }
  bool IsThreadClassMethod(const FunctionFacts& f) const;

  struct CallSite {
    const FunctionFacts* caller;
    const CallFact* call;
  };
  const std::vector<CallSite>& CallersOf(const FunctionFacts* f) const;

  // Locks a function acquires itself or through up to `depth` levels of project calls,
  // with where (the acquire in the callee) for reports.
  struct Acquired {
    LockId lock;
    Pos pos;
    const FunctionFacts* in;
  };
  std::vector<Acquired> AcquiresThrough(const FunctionFacts* f, int depth) const;

  // Every function that releases this lock (by key): hand-offs make a second acquire legal.
  const std::set<const FunctionFacts*>& ReleasersOf(const std::string& key) const;
  // Functions that release the lock without acquiring it: a Lock used as a signal.
  const std::set<const FunctionFacts*>& SignalersOf(const std::string& key) const;
  // Functions that acquire the lock and never release it (other than __enter__): the lock
  // is handed to whoever releases it later, possibly another thread or task.
  const std::set<const FunctionFacts*>& HoldersOf(const std::string& key) const;
  // A lock passed between functions or threads rather than held around a critical section.
  bool IsHandedOff(const std::string& key) const { return !SignalersOf(key).empty() || !HoldersOf(key).empty(); }

  // Names of the module's class in which attribute `attr` is declared, walking bases.
  std::string ClassKey(const std::string& module, const std::string& cls, const std::string& attr) const;
  // The project-wide name of attribute `attr` of the object `object` names inside `fn`
  // (`stats.count` -> "mod.Stats.count"); empty when the object's class is unknown.
  std::string ObjectAttrKey(const FunctionFacts& fn, const Ref& object, const std::string& attr) const;

 private:
  struct ClassRef {
    const FileFacts* file = nullptr;
    const ClassFacts* cls = nullptr;
  };
  ClassRef FindClass(const FileFacts* file, const std::string& name, int depth = 0) const;
  // The class a call like `Name()` or `mod.Name()` instantiates, if it names one.
  ClassRef ClassCalled(const FileFacts* file, const std::string& callee) const;
  // The class of the object a reference names (its chain followed), from what the code
  // assigned to it: `stats = Stats()`, `self.nw = NewsWrapper()`.
  ClassRef InstanceClass(const FileFacts* file, const std::string& class_name, const std::string& qualname,
                         const Ref& r, int depth) const;
  // What the reference's head (kind, a, b; no chain) was assigned from, and where.
  bool HeadCtor(const FileFacts* file, const std::string& class_name, const Ref& r, CtorInfo* ci,
                const FileFacts** where, int depth) const;
  const FunctionFacts* MethodOf(ClassRef c, const std::string& method) const;
  const FunctionFacts* ResolveCallIn(const FileFacts* file, const FunctionFacts& caller, const Callee& c) const;
  ClassRef FindBase(const FileFacts* file, const std::string& base_text) const;
  bool FindAttr(ClassRef c, const std::string& attr, ClassRef* where, CtorInfo* ctor, int depth = 0) const;
  LockId ResolveIn(const FileFacts* file, const std::string& class_name, const std::string& qualname,
                   const Ref& r, int depth) const;
  LockId FromCtor(const FileFacts* file, const std::string& class_name, const std::string& qualname,
                  const std::string& key, const std::string& display, const std::string& name, const CtorInfo& ci,
                  int depth) const;
  const FunctionFacts* Function(std::string_view module, std::string_view qualname) const;
  const std::string& ClassOfNested(const FunctionFacts& fn) const;
  const std::string& ClassContext(const FunctionFacts& fn) const {
    return fn.class_name.empty() ? ClassOfNested(fn) : fn.class_name;
  }
  bool IsThreadClass(ClassRef c, int depth = 0) const;
  void ComputeTargets();

  // (module, qualname), viewing the facts' own strings.
  using FunctionKey = std::pair<std::string_view, std::string_view>;
  struct FunctionKeyHash {
    size_t operator()(const FunctionKey& k) const {
      return std::hash<std::string_view>()(k.first) * 31 + std::hash<std::string_view>()(k.second);
    }
  };

  // What the project knows of one function: its file, and the function each of its calls
  // and thread targets resolves to (null: none of the project's), resolved once because
  // the rules ask again and again.
  struct FunctionInfo {
    const FileFacts* file = nullptr;
    std::vector<const FunctionFacts*> calls;    // calls[i]: fn.calls[i].callee
    std::vector<const FunctionFacts*> targets;  // targets[i]: fn.targets[i].callee
  };

  const std::vector<FileFacts>& files_;
  std::map<std::string, const FileFacts*> modules_;
  std::unordered_map<const FunctionFacts*, FunctionInfo> info_;
  std::unordered_map<FunctionKey, const FunctionFacts*, FunctionKeyHash> functions_;
  // (class, name) of every method of every class: classes with hundreds of methods made
  // a search of their lists the larger part of resolving `self.m()`.
  using MethodKey = std::pair<const ClassFacts*, std::string_view>;
  struct MethodKeyHash {
    size_t operator()(const MethodKey& k) const {
      return std::hash<const void*>()(k.first) * 31 + std::hash<std::string_view>()(k.second);
    }
  };
  std::unordered_set<MethodKey, MethodKeyHash> methods_;
  std::set<const FunctionFacts*> targets_, reachable_;
  std::unordered_map<const FunctionFacts*, std::vector<CallSite>> callers_;
  std::map<std::string, std::set<const FunctionFacts*>> releasers_, signalers_, holders_;
};

// Whether a name looks like a lock: `_lock`, `mutex`, `rlock2`, `cond`, `not_empty_lock`.
bool LockishName(const std::string& name);

}  // namespace pyrace::lint
