#include "runtime/analysis/lock_class/summary.h"

#include <algorithm>
#include <unordered_map>

#include "runtime/analysis/analyzer.h"
#include "runtime/analysis/describe.h"

namespace pyrace {

StrId SymbolCopier::Str(StrId id) {
  if (id == 0 || id >= from_.strings.size()) return 0;
  if (id >= str_map_.size()) str_map_.resize(static_cast<size_t>(id) + 1, 0);
  if (str_map_[id] == 0) {
    str_map_[id] = static_cast<uint32_t>(to_.strings.size());
    to_.strings.push_back(from_.strings[id]);
  }
  return str_map_[id];
}

StackId SymbolCopier::Stack(StackId id) {
  if (id == kNoStack || id >= from_.stacks.size()) return kNoStack;
  if (id >= stack_map_.size()) stack_map_.resize(static_cast<size_t>(id) + 1, 0);
  if (stack_map_[id] == 0) {
    std::vector<Frame> frames = from_.stacks[id];
    for (Frame& f : frames) {
      f.file = Str(f.file);
      f.function = Str(f.function);
    }
    stack_map_[id] = static_cast<uint32_t>(to_.stacks.size());
    to_.stacks.push_back(std::move(frames));
    StrId test = Str(id < from_.stack_tests.size() ? from_.stack_tests[id] : 0);
    if (test != 0) {
      to_.stack_tests.resize(to_.stacks.size(), 0);
      to_.stack_tests[stack_map_[id]] = test;
    }
  }
  return stack_map_[id];
}

std::string LockClassKey(const Symbols& syms, LockId l) {
  if (l == kGilLock) return "<GIL>";
  std::string_view name = syms.lock_name(l);
  const Frame* site = PrimaryFrame(syms, LockCreateStack(syms, l));
  if (site == nullptr && name.empty()) return "";
  std::string key = site ? std::string(syms.str(site->file)) + ":" + std::to_string(site->line) : "?";
  key += "|";
  key += name;
  return key;
}

namespace {

class Summarizer {
 public:
  Summarizer(const Symbols& syms, LockClassSummary& out) : syms_(syms), out_(out), copy_(syms, out.syms) {
    out_.syms.locks.push_back(LockInfo{LockKind::kGil, 0, kNoStack, 0});  // lock 0: the GIL
    out_.instances.push_back(1);
    class_of_key_.emplace("<GIL>", kGilLock);
  }

  // How many of the process's locks are of each class the edges use: every lock the
  // trace defined, not only those the edges took (one import lock nested under another
  // lock makes its class's edge, the hundreds never nested make it ambiguous).
  void CountInstances() {
    for (uint32_t& n : out_.instances) n = 0;
    out_.instances[kGilLock] = 1;
    for (LockId l = 1; l < syms_.locks.size(); ++l) {
      auto it = class_of_key_.find(LockClassKey(syms_, l));
      if (it != class_of_key_.end()) ++out_.instances[it->second];
    }
  }

  // The class of a trace lock, defined in the summary on first use; kNoClass when it
  // has no identity outside the process.
  LockId ClassOf(LockId l) {
    if (l < class_of_lock_.size() && class_of_lock_[l] != kUnmapped) return class_of_lock_[l];
    if (l >= class_of_lock_.size()) class_of_lock_.resize(static_cast<size_t>(l) + 1, kUnmapped);
    std::string key = LockClassKey(syms_, l);
    LockId c = kNoClass;
    if (!key.empty()) {
      auto [it, inserted] = class_of_key_.try_emplace(key, 0);
      if (inserted) {
        it->second = static_cast<LockId>(out_.syms.locks.size());
        const LockInfo& info = l < syms_.locks.size() ? syms_.locks[l] : LockInfo{};
        LockInfo cls;
        cls.kind = info.kind;
        cls.create_stack = copy_.Stack(info.create_stack);
        cls.name = copy_.Str(info.name);
        out_.syms.locks.push_back(cls);
        out_.instances.push_back(1);
      }
      c = it->second;
    }
    class_of_lock_[l] = c;
    return c;
  }

  Tid ThreadOf(Tid t) {
    auto [it, inserted] = thread_of_tid_.try_emplace(t, 0);
    if (inserted) {
      it->second = static_cast<Tid>(out_.syms.threads.size());
      ThreadInfo info;
      // Named here as the process's own report names it (describe.h): a summary numbers
      // its threads afresh, so a nameless one could not be named from its id later.
      info.name = static_cast<StrId>(out_.syms.strings.size());
      out_.syms.strings.push_back(ThreadName(syms_, t));
      if (t < syms_.threads.size()) info.start_stack = copy_.Stack(syms_.threads[t].start_stack);
      out_.syms.threads.push_back(info);
    }
    return it->second;
  }

  void Add(const LockGraph& g, const LockEdge& e) {
    std::vector<LockId> gate;
    for (NodeId n : e.gate) {
      LockId c = ClassOf(g.NodeLock(n));
      if (c != kNoClass) gate.push_back(c);
    }
    std::vector<size_t> touched;
    for (const EdgeTaker& t : e.takers) {
      LockId from = ClassOf(t.from_lock), to = ClassOf(t.to_lock);
      // Nesting two locks of one class orders nothing between classes.
      if (from == kNoClass || to == kNoClass || from == to) continue;
      uint64_t key = (uint64_t{from} << 32) | to;
      auto [it, inserted] = edge_of_pair_.try_emplace(key, out_.edges.size());
      if (inserted) {
        LockClassEdge edge;
        edge.from = from;
        edge.to = to;
        edge.gate = gate;
        out_.edges.push_back(std::move(edge));
      }
      LockClassEdge& edge = out_.edges[it->second];
      if (!inserted) {
        std::erase_if(edge.gate, [&](LockId c) { return std::find(gate.begin(), gate.end(), c) == gate.end(); });
      }
      // The instance edge's count covers all its takers: add it once per class edge.
      if (std::find(touched.begin(), touched.end(), it->second) == touched.end()) {
        touched.push_back(it->second);
        edge.count += e.count;
      }
      AddTaker(edge, t);
    }
  }

 private:
  static constexpr LockId kUnmapped = UINT32_MAX;
  static constexpr LockId kNoClass = UINT32_MAX - 1;

  void AddTaker(LockClassEdge& edge, const EdgeTaker& t) {
    Tid tid = ThreadOf(t.tid);
    for (EdgeTaker& k : edge.takers) {
      if (k.tid == tid) {
        k.timed = k.timed && t.timed;
        return;
      }
    }
    if (edge.takers.size() >= LockGraph::kMaxTakers) return;
    EdgeTaker k;
    k.tid = tid;
    k.from_lock = edge.from;
    k.to_lock = edge.to;
    k.from_stack = copy_.Stack(t.from_stack);
    k.to_stack = copy_.Stack(t.to_stack);
    k.timed = t.timed;
    for (LockId l : t.also_held) {
      LockId c = ClassOf(l);
      if (c != kNoClass && c != edge.from && c != edge.to) k.also_held.push_back(c);
    }
    edge.takers.push_back(std::move(k));
  }

  const Symbols& syms_;
  LockClassSummary& out_;
  SymbolCopier copy_;
  std::vector<LockId> class_of_lock_;
  std::unordered_map<std::string, LockId> class_of_key_;
  std::unordered_map<Tid, Tid> thread_of_tid_;
  std::unordered_map<uint64_t, size_t> edge_of_pair_;
};

}  // namespace

LockClassSummary SummarizeLockClasses(const LockGraph& graph, const Symbols& syms,
                                      const ProcessIdentity& process) {
  LockClassSummary out;
  out.process = process;
  Summarizer s(syms, out);
  for (const LockEdge& e : graph.edges()) s.Add(graph, e);
  // Only classes the edges use are counted: without edges there is nothing to count.
  if (!graph.class_view() && !out.edges.empty()) s.CountInstances();
  return out;
}

LockClassSummary SummarizeLockClasses(const Analyzer& analyzer, const Symbols& syms,
                                      const ProcessIdentity& process) {
  if (const LockGraph* g = analyzer.lock_graph()) return SummarizeLockClasses(*g, syms, process);
  LockClassSummary out;
  out.process = process;
  out.syms.locks.push_back(LockInfo{LockKind::kGil, 0, kNoStack, 0});
  out.instances.push_back(1);
  return out;
}

}  // namespace pyrace
