// Events per second of the Analyzer on a realistic lock-event mix: a few threads
// taking turns (bursts between GIL switches) over a few dozen locks, mostly single
// acquire/release pairs, sometimes nested in lock-id order (one nesting in 512 is
// reversed, which keeps the cycle search busy), some RLock re-entry and try-locks, call
// sites repeating. Finish() (cycle search, reports) is inside the timed loop.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "runtime/analysis/analyzer.h"

#include <sys/mman.h>
#include <unistd.h>

#include "runtime/trace/trace.h"

namespace pyrace {
namespace {

constexpr StackId kSites = 64;

// The default mix: 4 threads over 32 locks; the wide one: 32 threads over 4096 locks
// (bigger graph and held-lock tables, fewer cache hits).
struct Shape {
  Tid threads;
  LockId locks;  // 1..locks; every 8th is an RLock
};
constexpr Shape kDefault{4, 32};
constexpr Shape kWide{32, 4096};

bool IsRLock(LockId l) { return l % 8 == 0; }

struct Mix {
  Symbols syms;
  std::vector<Event> events;
};

void DefineSymbols(Symbols& syms, Shape shape) {
  syms.strings = {"", "bench.py", "worker", "<module>"};
  syms.stacks.assign(1, {});
  for (StackId s = 1; s <= kSites; ++s) syms.stacks.push_back({Frame{1, 2, 10 + s}, Frame{1, 2, 200}});
  syms.stacks.push_back({Frame{1, 3, 5}});  // kSites + 1: creation / start site
  for (Tid t = 0; t <= shape.threads; ++t) syms.threads.push_back(ThreadInfo{2, 0, kSites + 1});
  syms.locks.push_back(LockInfo{LockKind::kGil, 0, kNoStack});
  for (LockId l = 1; l <= shape.locks; ++l) {
    syms.locks.push_back(LockInfo{IsRLock(l) ? LockKind::kRLock : LockKind::kLock, 0, kSites + 1});
  }
}

StackId SiteOf(LockId l, std::mt19937_64& rng) { return 1 + static_cast<StackId>((l * 2 + rng() % 2) % kSites); }

// One critical section of thread tid on lock a, maybe with a nested one inside.
void Section(std::vector<Event>& out, std::mt19937_64& rng, Shape shape, Tid tid, LockId a,
             uint64_t& t) {
  StackId site = SiteOf(a, rng);
  bool try_lock = rng() % 20 == 0;
  out.push_back(MakeEvent(EventKind::kLockAcquired, tid, a, site, t += rng() % 8, try_lock ? kFlagTry : 0));
  uint64_t roll = rng() % 16;
  if (roll < 2) {  // nested, in lock-id order except for a rare inversion
    LockId b = 1 + static_cast<LockId>(rng() % shape.locks);
    bool ordered = b > a || rng() % 512 == 0;
    if (b != a && ordered) {
      StackId inner = SiteOf(b, rng);
      out.push_back(MakeEvent(EventKind::kLockAcquired, tid, b, inner, t += rng() % 4));
      out.push_back(MakeEvent(EventKind::kLockRelease, tid, b, inner, t += rng() % 4, kFlagSameFrame));
    }
  } else if (roll == 2 && IsRLock(a)) {  // re-entry
    out.push_back(MakeEvent(EventKind::kLockAcquired, tid, a, site + 1, t += 1, kFlagReentrant));
    out.push_back(MakeEvent(EventKind::kLockRelease, tid, a, site + 1, t += 1,
                       kFlagSameFrame | kFlagReentrant));
  }
  out.push_back(MakeEvent(EventKind::kLockRelease, tid, a, site, t += rng() % 8, kFlagSameFrame));
}

Mix MakeMix(Shape shape) {
  Mix m;
  DefineSymbols(m.syms, shape);
  std::mt19937_64 rng(2026);
  uint64_t t = 0;
  for (LockId l = 1; l <= shape.locks; ++l) {
    m.events.push_back(MakeEvent(EventKind::kLockCreate, 0, l, kSites + 1, ++t, 0,
                            static_cast<uint16_t>(m.syms.locks[l].kind)));
  }
  for (Tid c = 1; c <= shape.threads; ++c) m.events.push_back(MakeEvent(EventKind::kThreadStart, 0, c, kSites + 1, ++t));
  while (m.events.size() < 1'000'000) {
    Tid tid = 1 + static_cast<Tid>(rng() % shape.threads);
    int burst = 1 + static_cast<int>(rng() % 50);
    for (int i = 0; i < burst; ++i) {
      Section(m.events, rng, shape, tid, 1 + static_cast<LockId>(rng() % shape.locks), t);
    }
  }
  for (Tid c = 1; c <= shape.threads; ++c) m.events.push_back(MakeEvent(EventKind::kThreadExit, c, 0, kNoStack, ++t));
  return m;
}

const Mix& LockMix() {
  static const Mix mix = MakeMix(kDefault);
  return mix;
}

const Mix& WideMix() {
  static const Mix mix = MakeMix(kWide);
  return mix;
}

void Analyze(benchmark::State& state, const AnalysisOptions& opts, const Mix& mix) {
  size_t findings = 0;
  for (auto _ : state) {
    Analyzer analyzer(opts);
    for (const Event& e : mix.events) analyzer.OnEvent(e, mix.syms);
    findings = analyzer.Finish(mix.syms).size();
    benchmark::DoNotOptimize(findings);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * mix.events.size()));
  state.counters["findings"] = static_cast<double>(findings);
}

void BM_AnalyzeLockDetectors(benchmark::State& state) {
  AnalysisOptions opts;
  opts.races = false;
  Analyze(state, opts, LockMix());
}
BENCHMARK(BM_AnalyzeLockDetectors)->Unit(benchmark::kMillisecond);

void BM_AnalyzeAllDetectors(benchmark::State& state) { Analyze(state, AnalysisOptions{}, LockMix()); }
BENCHMARK(BM_AnalyzeAllDetectors)->Unit(benchmark::kMillisecond);

void BM_AnalyzeLockDetectorsWide(benchmark::State& state) {
  AnalysisOptions opts;
  opts.races = false;
  Analyze(state, opts, WideMix());
}
BENCHMARK(BM_AnalyzeLockDetectorsWide)->Unit(benchmark::kMillisecond);

// What keeping the hold history (--format json or html) adds to the lock detectors.
void BM_AnalyzeLockDetectorsHoldTimeline(benchmark::State& state) {
  AnalysisOptions opts;
  opts.races = false;
  opts.hold_timeline = true;
  Analyze(state, opts, state.range(0) ? WideMix() : LockMix());
}
BENCHMARK(BM_AnalyzeLockDetectorsHoldTimeline)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

std::vector<uint8_t> Encode(const Mix& mix) {
  int fd = memfd_create("analysis_bench", 0);
  {
    TraceWriter w(fd, TraceHeader{});
    for (StrId s = 1; s < mix.syms.strings.size(); ++s) w.DefineString(s, mix.syms.strings[s]);
    for (StackId s = 1; s < mix.syms.stacks.size(); ++s) w.DefineStack(s, mix.syms.stacks[s]);
    for (Tid t = 0; t < mix.syms.threads.size(); ++t) w.DefineThread(t, mix.syms.threads[t]);
    for (const Event& e : mix.events) w.Emit(e);
  }
  std::vector<uint8_t> out(static_cast<size_t>(lseek(fd, 0, SEEK_END)));
  if (pread(fd, out.data(), out.size(), 0) != static_cast<ssize_t>(out.size())) out.clear();
  close(fd);
  return out;
}

// What `pyrace replay` does: decode the trace and analyse it.
void BM_DecodeAndAnalyze(benchmark::State& state) {
  static const std::vector<uint8_t> trace = Encode(LockMix());
  AnalysisOptions opts;
  opts.races = state.range(0) != 0;
  uint64_t events = 0;
  size_t findings = 0;
  for (auto _ : state) {
    Analyzer analyzer(opts);
    TraceReader reader;
    ReadStatus st = reader.ReadBuffer(trace, analyzer);
    if (st.code != ReadStatus::kOk) state.SkipWithError(st.message.c_str());
    events = st.events;
    findings = analyzer.Finish(reader.symbols()).size();
    benchmark::DoNotOptimize(findings);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * events));
  state.counters["bytes_per_event"] = static_cast<double>(trace.size()) / static_cast<double>(events);
  state.counters["findings"] = static_cast<double>(findings);
}
BENCHMARK(BM_DecodeAndAnalyze)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace pyrace

BENCHMARK_MAIN();
