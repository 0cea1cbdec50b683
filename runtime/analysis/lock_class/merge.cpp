#include "runtime/analysis/lock_class/merge.h"

#include <algorithm>
#include <unordered_map>

#include "runtime/analysis/cycle_search.h"
#include "runtime/analysis/describe.h"
#include "runtime/analysis/finding_sink.h"
#include "runtime/analysis/lock_order_detector.h"

namespace pyrace {

namespace {

uint64_t PairKey(LockId from, LockId to) { return (uint64_t{from} << 32) | to; }

std::string ProcessName(const ProcessIdentity& p) {
  std::string name = "process " + std::to_string(p.pid);
  if (!p.run.empty()) name += " of " + p.run;
  return name;
}

// Augmenting-path matching: can each edge get a distinct thread from its candidates?
bool Match(size_t e, const std::vector<std::vector<Tid>>& cand, std::unordered_map<Tid, size_t>& owner,
           std::vector<Tid>& seen) {
  for (Tid t : cand[e]) {
    if (std::find(seen.begin(), seen.end(), t) != seen.end()) continue;
    seen.push_back(t);
    auto it = owner.find(t);
    if (it == owner.end() || Match(it->second, cand, owner, seen)) {
      owner[t] = e;
      return true;
    }
  }
  return false;
}

class Merger {
 public:
  explicit Merger(std::span<const LockClassSummary> summaries) : summaries_(summaries) {
    syms_.locks.push_back(LockInfo{LockKind::kGil, 0, kNoStack, 0});
    class_of_key_.emplace("<GIL>", kGilLock);
  }

  void Run() {
    uint64_t seq = 0;
    for (size_t s = 0; s < summaries_.size(); ++s) Add(static_cast<uint32_t>(s), seq);
  }

  std::vector<Finding> Report(int max_findings) {
    FindingSink sink;
    for (const LockCycle& cycle : FindDeadlockCycles(graph_, kCycleSearchBudget)) {
      if (ClosableInOneProcess(cycle)) continue;
      std::string key = LockCycleKey(syms_, graph_, cycle);
      if (sink.Bump(FindingKind::kLockOrderInversion, key)) continue;
      Finding f = LockCycleFinding(syms_, graph_, cycle, nullptr, CycleScope::kAcrossProcesses);
      std::vector<uint32_t> shown;
      for (size_t i = 0; i < cycle.edges.size(); ++i) {
        Tid t = graph_.edges()[cycle.edges[i]].takers[cycle.takers[i]].tid;
        uint32_t origin = origin_of_tid_[t];
        if (std::find(shown.begin(), shown.end(), origin) != shown.end()) continue;
        shown.push_back(origin);
        const ProcessIdentity& p = summaries_[origin].process;
        f.pids.push_back(p.pid);
        std::string argv;
        for (const std::string& a : p.argv) argv += (argv.empty() ? "" : " ") + a;
        f.notes.push_back(ProcessName(p) + " ran: " + (argv.empty() ? "?" : argv));
      }
      sink.Add(std::move(f), key, graph_.edges()[cycle.edges[0]].seq);
    }
    return sink.Take(max_findings);
  }

 private:
  void Add(uint32_t origin, uint64_t& seq) {
    const LockClassSummary& s = summaries_[origin];
    SymbolCopier copy(s.syms, syms_);
    std::vector<LockId> lock_map(s.syms.locks.size(), kGilLock);
    for (LockId l = 0; l < s.syms.locks.size(); ++l) lock_map[l] = ClassOf(s, l, copy);
    std::vector<Tid> tid_map(s.syms.threads.size());
    for (Tid t = 0; t < s.syms.threads.size(); ++t) {
      ThreadInfo info;
      info.name = static_cast<StrId>(syms_.strings.size());
      syms_.strings.push_back(ThreadName(s.syms, t) + " in " + ProcessName(s.process));
      info.start_stack = copy.Stack(s.syms.threads[t].start_stack);
      tid_map[t] = static_cast<Tid>(syms_.threads.size());
      syms_.threads.push_back(info);
      origin_of_tid_.push_back(origin);
    }
    std::vector<LockId> gate;
    std::vector<EdgeTaker> takers;
    for (const LockClassEdge& e : s.edges) {
      LockId from = lock_map[e.from], to = lock_map[e.to];
      if (from == to || Ambiguous(s, e.from) || Ambiguous(s, e.to)) continue;
      gate.clear();
      for (LockId g : e.gate) gate.push_back(lock_map[g]);
      takers.clear();
      std::vector<Tid>& seen = takers_of_pair_[PairKey(from, to)];
      for (const EdgeTaker& t : e.takers) {
        EdgeTaker m = t;
        m.tid = tid_map[t.tid];
        m.from_lock = from;
        m.to_lock = to;
        m.from_stack = copy.Stack(t.from_stack);
        m.to_stack = copy.Stack(t.to_stack);
        for (LockId& h : m.also_held) h = lock_map[h];
        takers.push_back(std::move(m));
        seen.push_back(tid_map[t.tid]);
      }
      graph_.AddOccurrences(from, to, gate, takers, e.count, seq++, syms_);
    }
  }

  // A class the process made several locks of: which of them another process's lock of
  // that class would be is unknown, and the in-process detector keeps instances apart
  // (an order on one import lock and the reverse on another module's is no inversion
  // in one process), so the merge does not join its orders with other processes'.
  static bool Ambiguous(const LockClassSummary& s, LockId l) {
    return l < s.instances.size() && s.instances[l] > 1;
  }

  LockId ClassOf(const LockClassSummary& s, LockId l, SymbolCopier& copy) {
    std::string key = LockClassKey(s.syms, l);
    // A class without identity cannot come from a summary (the summarizer drops it);
    // keep such a lock apart from every other all the same.
    if (key.empty()) key = "#" + std::to_string(syms_.locks.size());
    auto [it, inserted] = class_of_key_.try_emplace(key, 0);
    if (inserted) {
      it->second = static_cast<LockId>(syms_.locks.size());
      LockInfo info = s.syms.locks[l];
      info.create_stack = copy.Stack(info.create_stack);
      info.name = copy.Str(info.name);
      syms_.locks.push_back(info);
    }
    return it->second;
  }

  // Whether one process alone took every edge of the cycle with distinct threads: its
  // own analysis decided that cycle already.
  bool ClosableInOneProcess(const LockCycle& cycle) const {
    std::vector<const std::vector<Tid>*> per_edge;
    for (uint32_t e : cycle.edges) {
      const LockEdge& edge = graph_.edges()[e];
      per_edge.push_back(&takers_of_pair_.at(PairKey(graph_.NodeLock(edge.from), graph_.NodeLock(edge.to))));
    }
    std::vector<uint32_t> origins;
    for (Tid t : *per_edge[0]) origins.push_back(origin_of_tid_[t]);
    std::sort(origins.begin(), origins.end());
    origins.erase(std::unique(origins.begin(), origins.end()), origins.end());
    for (uint32_t o : origins) {
      std::vector<std::vector<Tid>> cand(per_edge.size());
      bool every_edge = true;
      for (size_t i = 0; i < per_edge.size() && every_edge; ++i) {
        for (Tid t : *per_edge[i]) {
          if (origin_of_tid_[t] == o) cand[i].push_back(t);
        }
        every_edge = !cand[i].empty();
      }
      if (!every_edge) continue;
      std::unordered_map<Tid, size_t> owner;
      bool matched = true;
      for (size_t i = 0; i < cand.size() && matched; ++i) {
        std::vector<Tid> seen;
        matched = Match(i, cand, owner, seen);
      }
      if (matched) return true;
    }
    return false;
  }

  std::span<const LockClassSummary> summaries_;
  Symbols syms_;
  LockGraph graph_{/*class_view=*/false};
  std::unordered_map<std::string, LockId> class_of_key_;
  std::vector<uint32_t> origin_of_tid_;  // merged Tid -> summary index
  // Every thread (merged Tid) that took each class pair, in any process: the takers
  // the graph keeps are capped, this is not.
  std::unordered_map<uint64_t, std::vector<Tid>> takers_of_pair_;
};

}  // namespace

std::vector<Finding> MergeLockClassSummaries(std::span<const LockClassSummary> summaries,
                                             int max_findings) {
  Merger m(summaries);
  m.Run();
  return m.Report(max_findings);
}

std::vector<Finding> CrossProcessFindings(std::span<const ProcessAnalysis> processes,
                                          int max_findings) {
  std::vector<LockClassSummary> summaries;
  summaries.reserve(processes.size());
  for (const ProcessAnalysis& p : processes) {
    if (p.analyzer == nullptr || p.syms == nullptr) continue;
    summaries.push_back(SummarizeLockClasses(*p.analyzer, *p.syms, p.process));
  }
  return MergeLockClassSummaries(summaries, max_findings);
}

}  // namespace pyrace
