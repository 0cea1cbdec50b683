// Reading live from a pipe while another thread writes, the tee copy, and the writer
// after its reader went away.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "tests/runtime/trace/trace_test_util.h"

namespace pyrace {
namespace {

using testing::CollectSink;

void WriteLockEvents(TraceWriter& w, int n, int flush_every) {
  w.DefineString(1, "pipe.py");
  Frame f{1, 1, 3};
  w.DefineStack(1, std::span<const Frame>(&f, 1));
  for (int i = 0; i < n; ++i) {
    Event e;
    e.kind = i % 2 ? EventKind::kLockRelease : EventKind::kLockAcquired;
    e.tid = static_cast<Tid>(i % 3);
    e.obj = 1 + static_cast<uint64_t>(i % 5);
    e.stack = 1;
    e.time_us = static_cast<uint64_t>(i);
    w.Emit(e);
    if (flush_every && i % flush_every == 0) w.Flush();
  }
}

TEST(TraceStream, PipeWithWriterInAnotherThreadAndTee) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  int tee = memfd_create("tee", 0);
  constexpr int kEvents = 200000;
  std::thread writer([&] {
    {
      TraceWriter w(p[1], TraceHeader{}, 2048);
      WriteLockEvents(w, kEvents, 997);  // partial chunks land in the pipe in pieces
      EXPECT_FALSE(w.failed());
    }
    close(p[1]);
  });
  TraceReader r;
  CollectSink sink;
  ReadStatus st = r.ReadFd(p[0], sink, tee);
  writer.join();
  close(p[0]);
  ASSERT_EQ(st.code, ReadStatus::kOk) << st.message;
  ASSERT_EQ(sink.events.size(), static_cast<size_t>(kEvents));
  for (int i = 0; i < kEvents; ++i) {
    ASSERT_EQ(sink.events[static_cast<size_t>(i)].time_us, static_cast<uint64_t>(i));
    ASSERT_EQ(sink.events[static_cast<size_t>(i)].obj, 1 + static_cast<uint64_t>(i % 5));
  }
  // The tee holds exactly the bytes that were read, and they read back the same.
  EXPECT_EQ(static_cast<uint64_t>(lseek(tee, 0, SEEK_END)), st.bytes);
  TraceReader again;
  CollectSink sink2;
  lseek(tee, 0, SEEK_SET);
  ReadStatus st2 = again.ReadFd(tee, sink2);
  EXPECT_EQ(st2.code, ReadStatus::kOk) << st2.message;
  EXPECT_EQ(sink2.events.size(), sink.events.size());
  close(tee);
}

TEST(TraceStream, ReadFileMatchesReadBuffer) {
  auto bytes = testing::WriteTrace([](TraceWriter& w) { WriteLockEvents(w, 5000, 0); }, 1024);
  char path[] = "/tmp/pyrace_trace_test_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  close(fd);
  TraceReader r;
  CollectSink sink;
  ReadStatus st = r.ReadFile(path, sink);
  unlink(path);
  EXPECT_EQ(st.code, ReadStatus::kOk) << st.message;
  EXPECT_EQ(sink.events.size(), 5000u);
  EXPECT_EQ(st.bytes, bytes.size());
}

TEST(TraceStream, MissingFileIsIoError) {
  TraceReader r;
  CollectSink sink;
  ReadStatus st = r.ReadFile("/nonexistent/dir/trace.pyrt", sink);
  EXPECT_EQ(st.code, ReadStatus::kIoError);
  EXPECT_NE(st.message.find("/nonexistent/dir/trace.pyrt"), std::string::npos);
}

// A reader that gives up (corrupt data) still drains the pipe so the writer never
// blocks on it.
TEST(TraceStream, ReaderDrainsAfterCorruption) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  std::thread writer([&] {
    const char junk[] = "this is not a trace";
    ASSERT_EQ(write(p[1], junk, sizeof junk), static_cast<ssize_t>(sizeof junk));
    std::vector<char> more(1 << 20, 'z');  // far more than a pipe buffer holds
    size_t off = 0;
    while (off < more.size()) {
      ssize_t n = write(p[1], more.data() + off, more.size() - off);
      ASSERT_GT(n, 0);
      off += static_cast<size_t>(n);
    }
    close(p[1]);
  });
  TraceReader r;
  CollectSink sink;
  ReadStatus st = r.ReadFd(p[0], sink);
  writer.join();
  close(p[0]);
  EXPECT_EQ(st.code, ReadStatus::kBadHeader);
}

// A tee that cannot be written is reported, and the analysis still gets everything.
TEST(TraceStream, FailedTeeIsReported) {
  auto bytes = testing::WriteTrace([](TraceWriter& w) { WriteLockEvents(w, 1000, 0); });
  int src = memfd_create("src", 0);
  ASSERT_EQ(write(src, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  lseek(src, 0, SEEK_SET);
  int full = open("/dev/full", O_WRONLY);
  ASSERT_GE(full, 0);
  TraceReader r;
  CollectSink sink;
  ReadStatus st = r.ReadFd(src, sink, full);
  EXPECT_EQ(st.code, ReadStatus::kIoError);
  EXPECT_NE(st.message.find("trace copy"), std::string::npos) << st.message;
  EXPECT_EQ(sink.events.size(), 1000u);
  close(full);
  close(src);
}

TEST(TraceStream, WriterFailsQuietlyWhenReaderIsGone) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  close(p[0]);
  TraceWriter w(p[1], TraceHeader{}, 1024);
  EXPECT_FALSE(w.failed());
  WriteLockEvents(w, 10000, 0);  // fills chunks: the first write hits EPIPE
  EXPECT_TRUE(w.failed());
  uint64_t bytes = w.bytes_written();
  WriteLockEvents(w, 1000, 1);
  w.Flush();
  EXPECT_TRUE(w.failed());
  EXPECT_EQ(w.bytes_written(), bytes);
  close(p[1]);
}

}  // namespace
}  // namespace pyrace
