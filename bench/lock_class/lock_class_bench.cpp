// The fleet's reduce step (docs/fleets.md): merging the lock-class summaries of N
// recorded traces (default 1,000) on one core; the bar is >= 200 traces per second.
//
// Each synthetic trace is one test worker: 8 threads nesting locks of 24 classes
// (created at 24 sites of 6 modules, 4 instances each) from 48 call sites with 10-frame
// stacks, 2,000 nested acquires, written through the real TraceWriter and read back
// through the real TraceReader and Analyzer (the map step). Most workers take the
// classes in one global order; one in 50 takes one pair reversed, so the merge has
// cross-process inversions to find and report. Prints the summary sizes, the map
// step's time per trace and the merge's throughput (median of 5 merges, each parsing
// every summary from its JSON text).
//
//   lock_class_bench [traces] [summary_dir]   (summary_dir: also write the summaries,
//                                               for timing `pyrace replay summary_dir`)
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "runtime/analysis/analyzer.h"
#include "runtime/analysis/lock_class/merge.h"
#include "runtime/analysis/lock_class/summary.h"
#include "runtime/trace/trace.h"

namespace pyrace {
namespace {

constexpr int kModules = 6, kClasses = 24, kInstances = 4, kThreads = 8, kSites = 48, kDepth = 10;
constexpr int kAcquires = 2000;

class Collect : public EventSink {
 public:
  explicit Collect(Analyzer& a) : a_(a) {}
  void OnEvent(const Event& e, const Symbols& syms) override { a_.OnEvent(e, syms); }

 private:
  Analyzer& a_;
};

// One worker's trace, in memory.
std::vector<uint8_t> MakeTrace(uint32_t worker, bool reversed) {
  char path[] = "/tmp/lock_class_bench.XXXXXX";
  int fd = mkstemp(path);
  unlink(path);
  {
    TraceHeader h;
    h.pid = 10000 + worker;
    h.python_version = "3.11.7";
    h.argv = {"-m", "pytest", "-p", "xdist", "--worker", std::to_string(worker)};
    TraceWriter w(fd, h);
    StrId next_str = 1;
    auto str = [&](const std::string& s) {
      w.DefineString(next_str, s);
      return next_str++;
    };
    std::vector<StrId> files, funcs;
    for (int m = 0; m < kModules; ++m) files.push_back(str("/home/ci/src/app/module_" + std::to_string(m) + ".py"));
    for (int f = 0; f < kSites; ++f) funcs.push_back(str("Service" + std::to_string(f % 7) + ".op_" + std::to_string(f)));
    StackId next_stack = 1;
    auto stack = [&](int site, int line) {
      std::vector<Frame> frames;
      for (int d = 0; d < kDepth; ++d) {
        frames.push_back(Frame{files[static_cast<size_t>((site + d) % kModules)],
                               funcs[static_cast<size_t>((site + d) % kSites)], static_cast<uint32_t>(line + d * 7)});
      }
      w.DefineStack(next_stack, frames);
      return next_stack++;
    };
    std::vector<StackId> acquire_sites;
    for (int s = 0; s < kSites; ++s) acquire_sites.push_back(stack(s, 100 + s * 3));
    for (Tid t = 0; t < kThreads; ++t) {
      ThreadInfo info;
      info.name = str(t == 0 ? "MainThread" : "Thread-" + std::to_string(t));
      info.parent = t == 0 ? kNoTid : 0;
      w.DefineThread(t, info);
    }
    uint64_t time = 0;
    LockId next_lock = 1;
    std::vector<LockId> lock_of;  // class * kInstances + instance
    for (int c = 0; c < kClasses; ++c) {
      StackId created = stack(c % kModules, 10 + c);
      StrId name = str("Service" + std::to_string(c % 7) + ".lock_" + std::to_string(c));
      for (int i = 0; i < kInstances; ++i) {
        LockId l = next_lock++;
        w.Emit(MakeEvent(EventKind::kLockCreate, 0, l, created, ++time, 0, static_cast<uint16_t>(LockKind::kLock)));
        w.DefineLockName(l, name);
        lock_of.push_back(l);
      }
    }
    std::mt19937 rng(worker);
    for (int a = 0; a < kAcquires; ++a) {
      Tid t = static_cast<Tid>(rng() % kThreads);
      // Classes in increasing order (the global order), except the reversed pair.
      int c1 = static_cast<int>(rng() % (kClasses - 1));
      int c2 = c1 + 1 + static_cast<int>(rng() % static_cast<unsigned>(kClasses - 1 - c1));
      // A reversing worker never takes that pair forward (it would be an inversion
      // inside the worker, reported by the worker's own analysis).
      if (reversed && c1 == 3 && c2 == 5) c2 = 6;
      if (reversed && a % 97 == 0) std::tie(c1, c2) = std::make_pair(5, 3);
      LockId outer = lock_of[static_cast<size_t>(c1 * kInstances) + rng() % kInstances];
      LockId inner = lock_of[static_cast<size_t>(c2 * kInstances) + rng() % kInstances];
      StackId s1 = acquire_sites[(static_cast<size_t>(c1) * 2) % kSites];
      StackId s2 = acquire_sites[(static_cast<size_t>(c2) * 2 + 1) % kSites];
      w.Emit(MakeEvent(EventKind::kLockAcquired, t, outer, s1, ++time));
      w.Emit(MakeEvent(EventKind::kLockAcquired, t, inner, s2, ++time));
      w.Emit(MakeEvent(EventKind::kLockRelease, t, inner, s2, ++time, kFlagSameFrame));
      w.Emit(MakeEvent(EventKind::kLockRelease, t, outer, s1, ++time, kFlagSameFrame));
    }
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(lseek(fd, 0, SEEK_END)));
  if (pread(fd, bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) std::abort();
  close(fd);
  return bytes;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// CPU time of this process: on a shared machine the wall time says how busy it is.
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace
}  // namespace pyrace

int main(int argc, char** argv) {
  using namespace pyrace;
  const int traces = argc > 1 ? std::atoi(argv[1]) : 1000;
  const std::string dir = argc > 2 ? argv[2] : "";
  std::vector<std::string> texts;
  std::vector<double> map_seconds;
  size_t trace_bytes = 0;
  for (int i = 0; i < traces; ++i) {
    std::vector<uint8_t> trace = MakeTrace(static_cast<uint32_t>(i), i % 50 == 7);
    trace_bytes += trace.size();
    auto start = std::chrono::steady_clock::now();
    Analyzer analyzer(AnalysisOptions{});
    Collect sink(analyzer);
    TraceReader reader;
    if (reader.ReadBuffer(trace, sink).code != ReadStatus::kOk) return 1;
    analyzer.Finish(reader.symbols());
    const TraceHeader& h = reader.header();
    texts.push_back(SerializeSummary(SummarizeLockClasses(
        analyzer, reader.symbols(), ProcessIdentity{h.pid, h.argv, "shard-" + std::to_string(i) + ".pyrt", 0})));
    map_seconds.push_back(Seconds(start));
    if (!dir.empty()) {
      std::ofstream(dir + "/shard-" + std::to_string(i) + ".summary.json") << texts.back();
    }
  }
  std::vector<size_t> sizes;
  for (const std::string& t : texts) sizes.push_back(t.size());
  std::sort(sizes.begin(), sizes.end());
  std::sort(map_seconds.begin(), map_seconds.end());
  size_t total = 0;
  for (size_t s : sizes) total += s;
  std::printf("traces: %d, %.1f KB each on average (%d acquires)\n", traces,
              static_cast<double>(trace_bytes) / traces / 1024.0, kAcquires);
  std::printf("summary size: median %zu bytes, max %zu, total %.1f KB\n", sizes[sizes.size() / 2], sizes.back(),
              static_cast<double>(total) / 1024.0);
  std::printf("map step (read trace, analyse, summarize, serialize): median %.2f ms per trace\n",
              map_seconds[map_seconds.size() / 2] * 1e3);

  std::vector<double> merges, merges_cpu;
  size_t found = 0;
  for (int rep = 0; rep < 5; ++rep) {
    auto start = std::chrono::steady_clock::now();
    const double cpu_start = CpuSeconds();
    std::vector<LockClassSummary> summaries(texts.size());
    std::string error;
    for (size_t i = 0; i < texts.size(); ++i) {
      if (!ParseSummary(texts[i], &summaries[i], &error)) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
      }
    }
    found = MergeLockClassSummaries(summaries).size();
    merges.push_back(Seconds(start));
    merges_cpu.push_back(CpuSeconds() - cpu_start);
  }
  std::sort(merges.begin(), merges.end());
  std::sort(merges_cpu.begin(), merges_cpu.end());
  const double median = merges[merges.size() / 2], median_cpu = merges_cpu[merges_cpu.size() / 2];
  std::printf("merge (parse %d summaries + merge + report): median %.3f s wall = %.0f traces/s, %.3f s CPU = "
              "%.0f traces/s (bar: 200); %zu cross-process findings\n",
              traces, median, traces / median, median_cpu, traces / median_cpu, found);
  return found > 0 ? 0 : 1;
}
