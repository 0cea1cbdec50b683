// The writer's promises to the runtime: Flush() does not allocate, a Flush() from a
// signal handler, landing anywhere in the writer, leaves a trace that reads back as a
// prefix of what was emitted (never a corrupt one), and one that lands in a chunk
// write says so and lets that write finish the chunk.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/time.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <new>
#include <string>
#include <thread>

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

volatile sig_atomic_t g_signalled = 0;
volatile sig_atomic_t g_handler_flush = -1;  // what Flush() answered the handler
volatile sig_atomic_t g_written_after_signal = 0;

void FlushInWrite(int) {
  g_signalled = 1;
  g_handler_flush = g_writer->Flush() ? 1 : 0;
}

void CountChunkWritten() {
  if (g_signalled) g_written_after_signal = g_written_after_signal + 1;
}

// What SIGTERM's handler relies on (runtime/python/lifecycle.cpp): a handler's Flush()
// while a chunk is going out answers false, the interrupted write still sends the
// whole chunk, and the chunk-written hook tells when it has.
TEST(TraceWriter, FlushDuringAChunkWriteLeavesTheChunkToThatWrite) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ASSERT_GT(fcntl(fds[1], F_SETPIPE_SZ, 4096), 0);  // the chunk write blocks on a full pipe
  struct sigaction sa = {}, old = {};
  sa.sa_handler = FlushInWrite;
  sigaction(SIGUSR1, &sa, &old);
  TraceWriter::SetChunkWrittenHook(CountChunkWritten);
  constexpr uint64_t kEvents = 5000;
  std::vector<uint8_t> bytes;
  const pthread_t writer_thread = pthread_self();
  const std::string writer_stat = "/proc/self/task/" + std::to_string(gettid()) + "/stat";
  std::thread reader([&] {
    // Bytes in the pipe and the writer asleep: it sleeps only in its chunk write,
    // which waits for this reader.
    for (;;) {
      int queued = 0;
      std::ifstream stat(writer_stat);
      std::string pid, comm, state;
      stat >> pid >> comm >> state;
      if (ioctl(fds[0], FIONREAD, &queued) == 0 && queued > 0 && state == "S") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    pthread_kill(writer_thread, SIGUSR1);
    uint8_t buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) != 0;) {
      if (n > 0) bytes.insert(bytes.end(), buf, buf + n);
    }
  });
  {
    TraceWriter w(fds[1], TraceHeader{}, 256 * 1024);
    g_writer = &w;
    for (uint64_t i = 0; i < kEvents; ++i) w.Emit(Numbered(i));
    EXPECT_TRUE(w.Flush());  // blocks until the reader drains, with the signal inside
    EXPECT_TRUE(w.failed());  // the handler closed it
    g_writer = nullptr;
  }
  close(fds[1]);
  reader.join();
  close(fds[0]);
  TraceWriter::SetChunkWrittenHook(nullptr);
  sigaction(SIGUSR1, &old, nullptr);
  EXPECT_EQ(g_signalled, 1);
  EXPECT_EQ(g_handler_flush, 0);
  EXPECT_EQ(g_written_after_signal, 1);
  TraceReader r;
  testing::CollectSink sink;
  ReadStatus st = r.ReadBuffer(bytes, sink);
  EXPECT_EQ(st.code, ReadStatus::kOk) << st.message;
  ASSERT_EQ(sink.events.size(), kEvents);
  for (size_t i = 0; i < sink.events.size(); ++i) ASSERT_TRUE(testing::SameEvent(sink.events[i], Numbered(i))) << i;
}

}  // namespace
}  // namespace pyrace
