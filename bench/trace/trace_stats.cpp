// Size and decode speed of a recorded trace: `trace_stats FILE` prints the events per
// kind, bytes per event and the reader's decode rate (the replay figures of a real run).
#include <chrono>
#include <cstdio>
#include <map>

#include "runtime/trace/trace.h"

namespace {

struct KindCounter : pyrace::EventSink {
  std::map<int, uint64_t> by_kind;
  void OnEvent(const pyrace::Event& e, const pyrace::Symbols&) override {
    ++by_kind[static_cast<int>(e.kind)];
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s TRACE\n", argv[0]);
    return 2;
  }
  pyrace::TraceReader reader;
  KindCounter sink;
  auto t0 = std::chrono::steady_clock::now();
  pyrace::ReadStatus st = reader.ReadFile(argv[1], sink);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("status %d %s\n", st.code, st.message.c_str());
  std::printf("bytes %llu  chunks %llu  events %llu  bytes/event %.2f\n",
              static_cast<unsigned long long>(st.bytes), static_cast<unsigned long long>(st.chunks),
              static_cast<unsigned long long>(st.events),
              st.events ? static_cast<double>(st.bytes) / static_cast<double>(st.events) : 0.0);
  std::printf("decode %.3f s  %.1f M events/s\n", secs, static_cast<double>(st.events) / secs / 1e6);
  std::printf("strings %zu  stacks %zu  threads %zu  locks %zu  locations %zu\n",
              reader.symbols().strings.size(), reader.symbols().stacks.size(),
              reader.symbols().threads.size(), reader.symbols().locks.size(),
              reader.symbols().locations.size());
  for (const auto& [kind, n] : sink.by_kind) {
    std::printf("  kind %2d: %llu\n", kind, static_cast<unsigned long long>(n));
  }
  return st.code == pyrace::ReadStatus::kOk ? 0 : 1;
}
