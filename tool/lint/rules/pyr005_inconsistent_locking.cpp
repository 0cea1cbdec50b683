// PYR005: an attribute or global written under a lock in one place and read or written
// without any lock in code that runs in another thread (RacerD's idea, for Python).
#include <map>
#include <set>
#include <string_view>
#include <unordered_set>

#include "tool/lint/rule.h"
#include "tool/lint/rules/access_keys.h"

namespace pyrace::lint {
namespace {

const RuleInfo kInfo{
    "PYR005", "inconsistent-locking", "data-race", FindingKind::kDataRace, Severity::kWarning,
    "Shared state written under a lock is accessed without it in thread code",
    "When a field or global is written while holding a lock somewhere, the author decided that lock "
    "guards it. An access without the lock in code that runs in another thread races with those "
    "writes: it can read a half-updated state or lose an update. The GIL does not make this safe, it "
    "only makes it rarer (and free-threaded Python removes it). Take the same lock around the access.",
    true};

bool ExemptFunction(const FunctionFacts& fn) {
  static const std::set<std::string> kExempt = {"__init__", "__new__", "__del__", "__init_subclass__",
                                                "__set_name__", "setUp", "tearDown", "setUpClass",
                                                "tearDownClass", "__getstate__", "__setstate__", "__reduce__",
                                                "__repr__"};
  return fn.qualname == "<module>" || kExempt.count(fn.name) > 0;
}

struct Locked {
  const FileFacts* file;
  const FunctionFacts* fn;
  const AccessFact* access;
  std::string lock;
};

class InconsistentLockingRule : public Rule {
 public:
  const RuleInfo& info() const override { return kInfo; }
  void Check(const Project& project, std::vector<Finding>& out) const override {
    std::map<std::string, Locked> locked;  // target -> one write under a shared lock
    std::map<std::string, std::set<const FunctionFacts*>> locked_in;
    // A target's key ends with the accessed name, so an access whose name no locked write
    // has cannot match one: the key, which resolves classes, is only built for the rest.
    std::unordered_set<std::string_view> locked_names;
    std::unordered_set<const FunctionFacts*> writers;
    for (const auto& file : project.files()) {
      for (const auto& fn : file.functions) {
        if (ExemptFunction(fn)) continue;
        for (const auto& a : fn.accesses) {
          if (!a.write || a.held.empty()) continue;
          std::string lock = SharedLock(project, fn, a.held);
          if (lock.empty()) continue;
          std::string key = AccessKey(project, fn, a, Cls(project, fn));
          if (key.empty()) continue;
          locked.emplace(key, Locked{&file, &fn, &a, lock});
          locked_in[key].insert(&fn);
          locked_names.insert(a.name);
          writers.insert(&fn);
        }
      }
    }
    // Lazy initialisation (`if x is None: with lock: if x is None: x = ...`): the
    // function that writes under the lock also reads without it first. Other unlocked
    // reads then see either the old or the fully built value: a benign publication.
    std::set<std::string> lazy;
    for (const auto& file : project.files()) {
      for (const auto& fn : file.functions) {
        if (!writers.count(&fn)) continue;
        for (const auto& a : fn.accesses) {
          if (a.write || !a.held.empty() || !locked_names.count(a.name)) continue;
          std::string key = AccessKey(project, fn, a, Cls(project, fn));
          auto it = locked_in.find(key);
          if (it != locked_in.end() && it->second.count(&fn)) lazy.insert(key);
        }
      }
    }
    for (const auto& file : project.files()) {
      for (const auto& fn : file.functions) {
        if (ExemptFunction(fn) || !project.IsThreadReachable(&fn)) continue;
        std::set<std::string> done;
        for (const auto& a : fn.accesses) {
          if (!a.held.empty()) continue;
          if (a.augmented && project.IsThreadTarget(&fn)) continue;  // PYR006 says it better
          if (!locked_names.count(a.name)) continue;
          std::string key = AccessKey(project, fn, a, Cls(project, fn));
          auto it = locked.find(key);
          if (it == locked.end() || !done.insert(key).second) continue;
          // Reads in a function that itself writes under the lock: a double-checked fast path.
          if (!a.write && (locked_in[key].count(&fn) || lazy.count(key))) continue;
          if (IsSyncObject(project, fn, a)) continue;
          const Locked& w = it->second;
          std::string what = AccessDisplay(a);
          Finding x = MakeFinding(kInfo, file, &fn, a.pos,
                                  "'" + what + "' is " + (a.write ? "written" : "read") +
                                      " here without a lock, but it is written under '" + w.lock + "' at " +
                                      w.file->path + ":" + std::to_string(w.access->pos.line) +
                                      " and this code runs in a thread");
          x.sections.push_back(Section{"written under '" + w.lock + "' here:", {Location(*w.file, w.fn, w.access->pos)}});
          x.notes.push_back("hold '" + w.lock + "' around this access");
          out.push_back(std::move(x));
        }
      }
    }
  }

 private:
  static std::string Cls(const Project& project, const FunctionFacts& fn) {
    (void)project;
    if (!fn.class_name.empty()) return fn.class_name;
    // Nested functions of methods: the qualname's class part.
    size_t dot = fn.qualname.find('.');
    return dot == std::string::npos ? "" : fn.qualname.substr(0, dot);
  }

  static std::string SharedLock(const Project& project, const FunctionFacts& fn, const std::vector<Ref>& held) {
    for (const auto& h : held) {
      LockId l = project.Resolve(fn, h);
      if (l.IsSharedLock()) return l.name;
    }
    return "";
  }

  // The lock, event or queue object itself: assigning it is set-up, not guarded state.
  static bool IsSyncObject(const Project& project, const FunctionFacts& fn, const AccessFact& a) {
    if (LockishName(a.name)) return true;
    Ref r;
    if (a.target == AccessTarget::kObjectAttr) {
      r = a.object;
      r.chain = r.chain.empty() ? a.name : r.chain + "." + a.name;
    } else {
      r.kind = a.target == AccessTarget::kSelfAttr ? RefKind::kSelfAttr : RefKind::kGlobal;
      r.a = a.name;
    }
    return project.Resolve(fn, r).ctor != Ctor::kNone;
  }
};

}  // namespace

std::unique_ptr<Rule> MakeInconsistentLockingRule() { return std::make_unique<InconsistentLockingRule>(); }

}  // namespace pyrace::lint
