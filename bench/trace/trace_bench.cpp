// Trace encode and decode speed, and the size of a realistic lock-heavy mix:
// a few threads taking turns (bursts between GIL switches) over a few locks, mostly
// single acquire/release pairs, sometimes nested, call sites repeating, µs time deltas.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <random>
#include <vector>

#include "runtime/trace/trace.h"

namespace pyrace {
namespace {

constexpr int kLocks = 8;
constexpr int kSites = 16;

// threads: 4 (a typical worker pool) or more (many short bursts, more tid changes).
std::vector<Event> MakeLockMix(int threads) {
  {
    std::vector<Event> out;
    std::mt19937_64 rng(2026);
    uint64_t t = 0;
    Tid tid = 0;
    while (out.size() < 1'000'000) {
      tid = static_cast<Tid>(rng() % static_cast<uint64_t>(threads));
      int burst = 1 + static_cast<int>(rng() % 50);
      for (int i = 0; i < burst; ++i) {
        LockId a = 1 + static_cast<LockId>(rng() % kLocks);
        StackId site = 1 + static_cast<StackId>((a * 2 + rng() % 2) % kSites);
        out.push_back(MakeEvent(EventKind::kLockAcquired, tid, a, site, t += rng() % 8, 0));
        if (rng() % 8 == 0) {  // nested: take a second lock inside
          LockId b = 1 + static_cast<LockId>(rng() % kLocks);
          if (b != a) {
            out.push_back(MakeEvent(EventKind::kLockAcquired, tid, b, site + 1, t += rng() % 4, 0));
            out.push_back(MakeEvent(EventKind::kLockRelease, tid, b, site + 1, t += rng() % 4,
                               kFlagSameFrame));
          }
        }
        out.push_back(MakeEvent(EventKind::kLockRelease, tid, a, site, t += rng() % 8, kFlagSameFrame));
      }
    }
    return out;
  }
}

const std::vector<Event>& LockMix(int threads) {
  static const std::vector<Event> four = MakeLockMix(4);
  static const std::vector<Event> many = MakeLockMix(32);
  return threads == 4 ? four : many;
}

void DefineSymbols(TraceWriter& w) {
  w.DefineString(1, "bench.py");
  w.DefineString(2, "worker");
  for (StackId s = 1; s <= kSites + 1; ++s) {
    Frame f[2] = {{1, 2, 10 + s}, {1, 2, 100}};
    w.DefineStack(s, f);
  }
}

std::vector<uint8_t> Encode(const std::vector<Event>& events) {
  int fd = memfd_create("bench", 0);
  {
    TraceWriter w(fd, TraceHeader{});
    DefineSymbols(w);
    for (const Event& e : events) w.Emit(e);
  }
  std::vector<uint8_t> out(static_cast<size_t>(lseek(fd, 0, SEEK_END)));
  if (pread(fd, out.data(), out.size(), 0) != static_cast<ssize_t>(out.size())) out.clear();
  close(fd);
  return out;
}

void BM_Encode(benchmark::State& state) {
  const auto& events = LockMix(static_cast<int>(state.range(0)));
  int fd = open("/dev/null", O_WRONLY);
  for (auto _ : state) {
    TraceWriter w(fd, TraceHeader{});
    DefineSymbols(w);
    for (const Event& e : events) w.Emit(e);
    w.Flush();
    benchmark::DoNotOptimize(w.bytes_written());
  }
  close(fd);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(events.size()));
}
BENCHMARK(BM_Encode)->Arg(4)->Arg(32)->Unit(benchmark::kMillisecond);

struct CountSink : EventSink {
  uint64_t n = 0;
  uint64_t sum = 0;
  void OnEvent(const Event& e, const Symbols&) override {
    ++n;
    sum += e.obj;
  }
};

void BM_Decode(benchmark::State& state) {
  const auto& events = LockMix(static_cast<int>(state.range(0)));
  std::vector<uint8_t> bytes = Encode(events);
  for (auto _ : state) {
    TraceReader r;
    CountSink sink;
    ReadStatus st = r.ReadBuffer(bytes, sink);
    if (st.code != ReadStatus::kOk || sink.n != events.size()) state.SkipWithError("bad read");
    benchmark::DoNotOptimize(sink.sum);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(events.size()));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
  state.counters["bytes_per_event"] =
      static_cast<double>(bytes.size()) / static_cast<double>(events.size());
}
BENCHMARK(BM_Decode)->Arg(4)->Arg(32)->Unit(benchmark::kMillisecond);

// The same, from a file descriptor (the replay path: read(2) into the reader's buffer).
void BM_DecodeFd(benchmark::State& state) {
  const auto& events = LockMix(4);
  std::vector<uint8_t> bytes = Encode(events);
  int fd = memfd_create("bench", 0);
  if (write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
    state.SkipWithError("write");
  }
  for (auto _ : state) {
    lseek(fd, 0, SEEK_SET);
    TraceReader r;
    CountSink sink;
    ReadStatus st = r.ReadFd(fd, sink);
    if (st.code != ReadStatus::kOk || sink.n != events.size()) state.SkipWithError("bad read");
    benchmark::DoNotOptimize(sink.sum);
  }
  close(fd);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(events.size()));
}
BENCHMARK(BM_DecodeFd)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace pyrace

BENCHMARK_MAIN();
