// PYR004: locks taken in orders that form a cycle in the project's static lock graph (an
// edge A -> B wherever B is acquired while holding A: nested with-blocks, acquire/release
// pairs, or a call made while holding A to a function that takes B): two locks in
// opposite orders, or three and more around a longer cycle. Locks are module globals, self.<attr> within a class (resolved
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
    "lock outside the first).",
    true};

struct EdgeSite {
  const FileFacts* file;
  const FunctionFacts* fn;
  Pos inner;                   // the acquire of the second lock (or the call that takes it)
  std::string inner_name, outer_name;
  std::set<std::string> gates;  // other locks held at the same time
  std::string via;             // "f()" when taken through a call
  const FileFacts* via_file = nullptr;
  const FunctionFacts* via_fn = nullptr;
  Pos via_pos;
};

using Edges = std::map<std::pair<std::string, std::string>, std::vector<EdgeSite>>;

bool SiteLess(const EdgeSite& a, const EdgeSite& b) {
  if (a.file->path != b.file->path) return a.file->path < b.file->path;
  return a.inner < b.inner;
}

class LockOrderRule : public Rule {
 public:
  const RuleInfo& info() const override { return kInfo; }

  void Check(const Project& project, std::vector<Finding>& out) const override {
    Edges edges;
    for (const auto& file : project.files()) {
      for (const auto& fn : file.functions) Collect(project, file, fn, edges);
    }
    for (auto& [key, sites] : edges) std::sort(sites.begin(), sites.end(), SiteLess);
    std::map<std::string, std::vector<std::string>> next;  // the static lock graph
    for (const auto& [key, sites] : edges) next[key.first].push_back(key.second);
    // Every elementary cycle once: each is found from its smallest lock, through larger
    // ones only (the graph is small; the length and count bounds keep it so).
    std::vector<std::string> path;
    size_t found = 0;
    for (const auto& [start, succ] : next) {
      path.assign(1, start);
      Cycles(edges, next, start, path, found, out);
    }
  }

 private:
  static constexpr size_t kMaxCycleLength = 6;
  static constexpr size_t kMaxCycles = 500;

  void Cycles(const Edges& edges, const std::map<std::string, std::vector<std::string>>& next,
              const std::string& start, std::vector<std::string>& path, size_t& found,
              std::vector<Finding>& out) const {
    auto it = next.find(path.back());
    if (it == next.end()) return;
    for (const auto& n : it->second) {
      if (found >= kMaxCycles) return;
      if (n == start && path.size() >= 2) {
        ++found;
        ReportCycle(edges, path, out);
        continue;
      }
      if (n <= start || path.size() >= kMaxCycleLength || std::find(path.begin(), path.end(), n) != path.end()) {
        continue;
      }
      path.push_back(n);
      Cycles(edges, next, start, path, found, out);
      path.pop_back();
    }
  }

  // One site per edge of the cycle, no two serialised by a common gate lock: only then
  // can one thread per edge stand at its site at the same time.
  static bool ChooseSites(const std::vector<const std::vector<EdgeSite>*>& lists, size_t i,
                          std::vector<const EdgeSite*>& chosen) {
    if (i == lists.size()) return true;
    size_t tries = 0;
    for (const auto& x : *lists[i]) {
      if (++tries > 32) break;
      bool gated = false;
      for (const EdgeSite* y : chosen) {
        for (const auto& g : x.gates) gated |= y->gates.count(g) > 0;
      }
      if (gated) continue;
      chosen.push_back(&x);
      if (ChooseSites(lists, i + 1, chosen)) return true;
      chosen.pop_back();
    }
    return false;
  }

  void ReportCycle(const Edges& edges, const std::vector<std::string>& cycle, std::vector<Finding>& out) const {
    std::vector<const std::vector<EdgeSite>*> lists;
    for (size_t i = 0; i < cycle.size(); ++i) lists.push_back(&edges.at({cycle[i], cycle[(i + 1) % cycle.size()]}));
    std::vector<const EdgeSite*> chosen;
    if (!ChooseSites(lists, 0, chosen)) return;
    // Reported at the first site in file order, the others following around the cycle.
    size_t first = 0;
    for (size_t i = 1; i < chosen.size(); ++i) {
      if (SiteLess(*chosen[i], *chosen[first])) first = i;
    }
    std::rotate(chosen.begin(), chosen.begin() + static_cast<long>(first), chosen.end());
    if (chosen.size() == 2) {
      Report(*chosen[0], *chosen[1], out);
    } else {
      ReportLonger(chosen, out);
    }
  }

  static void Add(std::map<std::pair<std::string, std::string>, std::vector<EdgeSite>>& edges,
                  const LockId& outer, const LockId& inner, EdgeSite site, const std::set<std::string>& held) {
    if (outer.key == inner.key) return;
    site.outer_name = outer.name;
    site.inner_name = inner.name;
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

  static std::string Where(const EdgeSite& s) {
    return s.file->path + ":" + std::to_string(s.inner.line);
  }

  void Report(const EdgeSite& s1, const EdgeSite& s2, std::vector<Finding>& out) const {
    std::string msg = "lock-order inversion: '" + s1.inner_name + "' is acquired" +
                      (s1.via.empty() ? "" : " (in " + s1.via + ")") + " while holding '" + s1.outer_name +
                      "', but " + Where(s2) + " acquires '" + s2.inner_name + "' while holding '" +
                      s2.outer_name + "': two threads can deadlock";
    Finding x = MakeFinding(kInfo, *s1.file, s1.fn, s1.inner, msg);
    x.sections.push_back(Section{"the reverse order is taken here:", {Location(*s2.file, s2.fn, s2.inner)}});
    if (!s1.via.empty() && s1.via_file) {
      x.sections.push_back(Section{"'" + s1.inner_name + "' is acquired inside " + s1.via + " here:",
                                   {Location(*s1.via_file, s1.via_fn, s1.via_pos)}});
    }
    if (!s2.via.empty() && s2.via_file) {
      x.sections.push_back(Section{"'" + s2.inner_name + "' is acquired inside " + s2.via + " here:",
                                   {Location(*s2.via_file, s2.via_fn, s2.via_pos)}});
    }
    x.notes.push_back("always take '" + s1.outer_name + "' and '" + s1.inner_name + "' in one order");
    out.push_back(std::move(x));
  }

  // A cycle of three or more locks: each thread holds one and waits for the next.
  void ReportLonger(const std::vector<const EdgeSite*>& sites, std::vector<Finding>& out) const {
    const EdgeSite& s1 = *sites[0];
    std::string msg = "lock-order cycle of " + std::to_string(sites.size()) + " locks: '" + s1.inner_name +
                      "' is acquired" + (s1.via.empty() ? "" : " (in " + s1.via + ")") + " while holding '" +
                      s1.outer_name + "'";
    for (size_t i = 1; i < sites.size(); ++i) {
      msg += ", " + Where(*sites[i]) + " acquires '" + sites[i]->inner_name + "' while holding '" +
             sites[i]->outer_name + "'";
    }
    msg += ": " + std::to_string(sites.size()) + " threads can deadlock";
    Finding x = MakeFinding(kInfo, *s1.file, s1.fn, s1.inner, msg);
    for (size_t i = 1; i < sites.size(); ++i) {
      const EdgeSite& s = *sites[i];
      x.sections.push_back(Section{"'" + s.inner_name + "' is acquired while holding '" + s.outer_name + "' here:",
                                   {Location(*s.file, s.fn, s.inner)}});
    }
    for (const EdgeSite* s : sites) {
      if (!s->via.empty() && s->via_file) {
        x.sections.push_back(Section{"'" + s->inner_name + "' is acquired inside " + s->via + " here:",
                                     {Location(*s->via_file, s->via_fn, s->via_pos)}});
      }
    }
    std::string order;
    for (const EdgeSite* s : sites) order += (order.empty() ? "'" : ", '") + s->outer_name + "'";
    x.notes.push_back("take " + order + " in one global order everywhere");
    out.push_back(std::move(x));
  }
};

}  // namespace

std::unique_ptr<Rule> MakeLockOrderInversionRule() { return std::make_unique<LockOrderRule>(); }

}  // namespace pyrace::lint
