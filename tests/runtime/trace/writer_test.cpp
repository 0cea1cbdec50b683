// The writer's promises to the runtime: Flush() does not allocate, and a Flush() from
// a signal handler, landing anywhere in the writer, leaves a trace that reads back as
// a prefix of what was emitted (never a corrupt one).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/time.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "tests/runtime/trace/trace_test_util.h"

namespace {
std::atomic<uint64_t> g_allocations{0};
}  // namespace

// Counts every C++ allocation in this test binary. (GCC cannot see that the
// replacement new below is malloc-based and warns about the matching free.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace pyrace {
namespace {

Event Numbered(uint64_t i) {
  Event e;
  e.kind = i % 2 ? EventKind::kLockRelease : EventKind::kLockAcquired;
  e.tid = static_cast<Tid>(i % 3);
  e.obj = 1 + i % 4;
  e.time_us = i;
  return e;
}

TEST(TraceWriter, FlushDoesNotAllocate) {
  int fd = memfd_create("t", 0);
  TraceWriter w(fd, TraceHeader{}, 1024);
  w.DefineString(1, "x.py");
  for (uint64_t i = 0; i < 100; ++i) w.Emit(Numbered(i));
  uint64_t before = g_allocations.load();
  w.Flush();  // header and first chunk
  for (uint64_t i = 0; i < 10000; ++i) w.Emit(Numbered(i));  // chunks written on the way
  w.Flush();
  w.Flush();  // nothing pending
  EXPECT_EQ(g_allocations.load(), before);
  EXPECT_FALSE(w.failed());
  close(fd);
}

TraceWriter* g_writer = nullptr;
volatile sig_atomic_t g_flushes = 0;

void FlushOnSignal(int) {
  if (g_writer) g_writer->Flush();
  g_flushes = g_flushes + 1;
}

TEST(TraceWriter, FlushFromSignalHandlerKeepsTraceReadable) {
  for (int round = 0; round < 20; ++round) {
    int fd = memfd_create("t", 0);
    struct sigaction sa = {}, old = {};
    sa.sa_handler = FlushOnSignal;
    sigaction(SIGALRM, &sa, &old);
    uint64_t emitted = 0;
    {
      TraceWriter w(fd, TraceHeader{}, 512);
      g_writer = &w;
      struct itimerval every = {{0, 20}, {0, 20}};
      setitimer(ITIMER_REAL, &every, nullptr);
      while (emitted < 20000 && !w.failed()) {
        w.Emit(Numbered(emitted++));
        // Time outside the writer, so signals also land between records.
        for (int k = 0; k < 200; ++k) asm volatile("" ::: "memory");
      }
      struct itimerval stop = {};
      setitimer(ITIMER_REAL, &stop, nullptr);
      g_writer = nullptr;
    }
    sigaction(SIGALRM, &old, nullptr);
    std::vector<uint8_t> bytes(static_cast<size_t>(lseek(fd, 0, SEEK_END)));
    ASSERT_EQ(pread(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
    close(fd);
    TraceReader r;
    testing::CollectSink sink;
    ReadStatus st = r.ReadBuffer(bytes, sink);
    ASSERT_TRUE(st.code == ReadStatus::kOk || st.code == ReadStatus::kTruncated) << st.message;
    ASSERT_LE(sink.events.size(), emitted);
    for (size_t i = 0; i < sink.events.size(); ++i) {
      ASSERT_TRUE(testing::SameEvent(sink.events[i], Numbered(i))) << "round " << round << " event " << i;
    }
  }
  EXPECT_GT(g_flushes, 0);
}

}  // namespace
}  // namespace pyrace
