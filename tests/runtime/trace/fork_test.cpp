// A forked child's trace (docs/children.md): the parent's header carries its parent
// pid, and a writer made with NewForChild starts with every definition the parent's
// writer kept, so the child's events may name ids defined before the fork.
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/runtime/trace/trace_test_util.h"

namespace pyrace {
namespace {

using testing::CollectSink;
using testing::WriteTrace;

std::vector<uint8_t> ReadAll(int fd) {
  const off_t size = lseek(fd, 0, SEEK_END);
  std::vector<uint8_t> out(static_cast<size_t>(size));
  if (pread(fd, out.data(), out.size(), 0) != size) out.clear();
  return out;
}

TEST(TraceFork, HeaderCarriesTheParentPid) {
  TraceHeader h;
  h.pid = 7;
  h.ppid = 3;
  h.argv = {"python3", "child.py"};
  auto bytes = WriteTrace([](TraceWriter& w) { w.Flush(); }, 4096, h);
  TraceReader r;
  CollectSink sink;
  ASSERT_EQ(r.ReadBuffer(bytes, sink).code, ReadStatus::kOk);
  EXPECT_EQ(r.header().ppid, 3u);
  EXPECT_EQ(r.header().pid, 7u);
}

TEST(TraceFork, ChildTraceStartsWithTheParentsDefinitions) {
  const int parent_fd = memfd_create("parent", 0);
  const int child_fd = memfd_create("child", 0);
  TraceHeader h;
  h.pid = 10;
  std::string big(100000, 'y');  // more than a chunk: the copy spans chunks too
  TraceWriter parent(parent_fd, h, 4096);
  parent.KeepDefinitions();
  parent.DefineString(1, "worker.py");
  parent.DefineString(2, "bump");
  parent.DefineString(3, big);
  const Frame frames[] = {Frame{1, 2, 14}};
  parent.DefineStack(1, frames);
  parent.DefineThread(0, ThreadInfo{2, kNoTid, kNoStack});
  parent.DefineLocation(4, LocationInfo{3, 99});
  parent.DefineLockName(5, 2);
  TraceHeader ch = h;
  ch.pid = 11;
  ch.ppid = 10;
  TraceWriter* child = parent.NewForChild(child_fd, ch);
  // The child's own events and definitions follow.
  child->DefineString(6, "child-only");
  child->Emit(MakeEvent(EventKind::kAccess, 0, 4, 1, 100, kFlagWrite, 0));
  child->Flush();
  delete child;
  const std::vector<uint8_t> bytes = ReadAll(child_fd);
  TraceReader r;
  CollectSink sink;
  const ReadStatus st = r.ReadBuffer(bytes, sink);
  ASSERT_EQ(st.code, ReadStatus::kOk) << st.message;
  EXPECT_EQ(r.header().pid, 11u);
  EXPECT_EQ(r.header().ppid, 10u);
  const Symbols& s = r.symbols();
  EXPECT_EQ(s.str(1), "worker.py");
  EXPECT_EQ(s.str(3), big);
  EXPECT_EQ(s.str(6), "child-only");
  ASSERT_EQ(s.stack(1).size(), 1u);
  EXPECT_EQ(s.stack(1)[0].line, 14u);
  EXPECT_EQ(s.thread_name(0), "bump");
  ASSERT_EQ(s.locations.size(), 5u);
  EXPECT_EQ(s.locations[4].object, 99u);
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0].obj, 4u);
  close(parent_fd);
  close(child_fd);
}

// Without KeepDefinitions nothing is copied: a child trace is only its own.
TEST(TraceFork, NothingKeptUnlessAsked) {
  const int parent_fd = memfd_create("parent", 0);
  const int child_fd = memfd_create("child", 0);
  TraceWriter parent(parent_fd, TraceHeader{}, 4096);
  parent.DefineString(1, "worker.py");
  TraceWriter* child = parent.NewForChild(child_fd, TraceHeader{});
  child->Flush();
  delete child;
  TraceReader r;
  CollectSink sink;
  ASSERT_EQ(r.ReadBuffer(ReadAll(child_fd), sink).code, ReadStatus::kOk);
  EXPECT_EQ(r.symbols().str(1), "");
  close(parent_fd);
  close(child_fd);
}

}  // namespace
}  // namespace pyrace
