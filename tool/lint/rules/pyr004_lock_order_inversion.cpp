// PYR004: two locks taken in opposite orders in different places of the project (nested
// with-blocks, acquire/release pairs, or a call made while holding one lock to a function
// that takes the other). Locks are module globals, self.<attr> within a class (resolved
// through base classes) and class attributes.
#include <algorithm>
#include <map>
#include <set>

#include "tool/lint/rule.h"

namespace pyrace::lint {
namespace {

const RuleInfo kInfo{
    "PYR004", "lock-order-inversion", "lock-order-inversion", FindingKind::kLockOrderInversion, Severity::kError,
    "Two locks are acquired in opposite orders",
    "If one code path takes lock A and then lock B while another takes B and then A, two threads "
    "running them at the same time can each hold one lock and wait forever for the other. Pick one "
    "global order for every pair of locks and take them in that order everywhere (or take the second "
    "lock outside the first)."};

struct EdgeSite {
  const FileFacts* file;
  const FunctionFacts* fn;
  Pos inner;                   // the acquire of the second lock (or the call that takes it)
  std::string inner_display, outer_display;
  std::set<std::string> gates;  // other locks held at the same time
  std::string via;             // "f()" when taken through a call
  const FileFacts* via_file = nullptr;
  const FunctionFacts* via_fn = nullptr;
  Pos via_pos;
};

bool SiteLess(const EdgeSite& a, const EdgeSite& b) {
  if (a.file->path != b.file->path) return a.file->path < b.file->path;
  return a.inner < b.inner;
}

class LockOrderRule : public Rule {
 public:
  const RuleInfo& info() const override { return kInfo; }

  void Check(const Project& project, std::vector<Finding>& out) const override {
    std::map<std::pair<std::string, std::string>, std::vector<EdgeSite>> edges;
    for (const auto& file : project.files()) {
      for (const auto& fn : file.functions) Collect(project, file, fn, edges);
    }
    std::set<std::pair<std::string, std::string>> reported;
    for (auto& [key, sites] : edges) std::sort(sites.begin(), sites.end(), SiteLess);
    for (const auto& [key, sites] : edges) {
      const auto& [a, b] = key;
      if (!(a < b)) continue;
      auto rev = edges.find({b, a});
      if (rev == edges.end()) continue;
      const EdgeSite* s1 = nullptr;
      const EdgeSite* s2 = nullptr;
      if (!Ungated(sites, rev->second, &s1, &s2)) continue;
      if (SiteLess(*s2, *s1)) std::swap(s1, s2);
      Report(*s1, *s2, out);
    }
  }

 private:
  static void Add(std::map<std::pair<std::string, std::string>, std::vector<EdgeSite>>& edges,
                  const LockId& outer, const LockId& inner, EdgeSite site, const std::set<std::string>& held) {
    if (outer.key == inner.key) return;
    site.outer_display = outer.display;
    site.inner_display = inner.display;
    for (const auto& h : held) {
      if (h != outer.key && h != inner.key) site.gates.insert(h);
    }
    edges[{outer.key, inner.key}].push_back(std::move(site));
  }

  static void Collect(const Project& project, const FileFacts& file, const FunctionFacts& fn,
                      std::map<std::pair<std::string, std::string>, std::vector<EdgeSite>>& edges) {
    for (const auto& a : fn.acquires) {
      if (a.held.empty() || !a.blocking) continue;
      LockId inner = project.Resolve(fn, a.ref);
      if (!inner.IsSharedLock()) continue;
      std::vector<LockId> held = Shared(project, fn, a.held);
      std::set<std::string> keys;
      for (const auto& h : held) keys.insert(h.key);
      for (const auto& h : held) Add(edges, h, inner, EdgeSite{&file, &fn, a.pos, "", "", {}, "", nullptr, nullptr, {}}, keys);
    }
    for (const auto& c : fn.calls) {
      if (c.held.empty()) continue;
      const FunctionFacts* callee = project.ResolveCall(fn, c.callee);
      if (!callee || callee == &fn) continue;
      std::vector<LockId> held = Shared(project, fn, c.held);
      if (held.empty()) continue;
      std::set<std::string> keys;
      for (const auto& h : held) keys.insert(h.key);
      std::set<std::string> seen;
      for (const auto& acq : project.AcquiresThrough(callee, 1)) {
        if (!seen.insert(acq.lock.key).second) continue;
        for (const auto& h : held) {
          EdgeSite s{&file, &fn, c.pos, "", "", {}, c.callee.text + "()", project.FileOf(*acq.in), acq.in, acq.pos};
          Add(edges, h, acq.lock, std::move(s), keys);
        }
      }
    }
  }

  static std::vector<LockId> Shared(const Project& project, const FunctionFacts& fn, const std::vector<Ref>& refs) {
    std::vector<LockId> out;
    for (const auto& r : refs) {
      LockId l = project.Resolve(fn, r);
      if (l.IsSharedLock()) out.push_back(std::move(l));
    }
    return out;
  }

  // A pair of sites, one per direction, not serialised by a common gate lock.
  static bool Ungated(const std::vector<EdgeSite>& ab, const std::vector<EdgeSite>& ba, const EdgeSite** s1,
                      const EdgeSite** s2) {
    for (const auto& x : ab) {
      for (const auto& y : ba) {
        bool gated = false;
        for (const auto& g : x.gates) gated |= y.gates.count(g) > 0;
        if (gated) continue;
        *s1 = &x;
        *s2 = &y;
        return true;
      }
    }
    return false;
  }

  static std::string Where(const EdgeSite& s) {
    return s.file->path + ":" + std::to_string(s.inner.line);
  }

  void Report(const EdgeSite& s1, const EdgeSite& s2, std::vector<Finding>& out) const {
    std::string msg = "lock-order inversion: '" + s1.inner_display + "' is acquired" +
                      (s1.via.empty() ? "" : " (in " + s1.via + ")") + " while holding '" + s1.outer_display +
                      "', but " + Where(s2) + " acquires '" + s2.inner_display + "' while holding '" +
                      s2.outer_display + "': two threads can deadlock";
    Finding x = MakeFinding(kInfo, *s1.file, s1.fn, s1.inner, msg);
    x.sections.push_back(Section{"the reverse order is taken here:", {Location(*s2.file, s2.fn, s2.inner)}});
    if (!s1.via.empty() && s1.via_file) {
      x.sections.push_back(Section{"'" + s1.inner_display + "' is acquired inside " + s1.via + " here:",
                                   {Location(*s1.via_file, s1.via_fn, s1.via_pos)}});
    }
    if (!s2.via.empty() && s2.via_file) {
      x.sections.push_back(Section{"'" + s2.inner_display + "' is acquired inside " + s2.via + " here:",
                                   {Location(*s2.via_file, s2.via_fn, s2.via_pos)}});
    }
    x.notes.push_back("always take '" + s1.outer_display + "' and '" + s1.inner_display + "' in one order");
    out.push_back(std::move(x));
  }
};

}  // namespace

std::unique_ptr<Rule> MakeLockOrderInversionRule() { return std::make_unique<LockOrderRule>(); }

}  // namespace pyrace::lint
