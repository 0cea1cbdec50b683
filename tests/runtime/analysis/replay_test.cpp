// Live and offline analysis agree by construction: the same scripts, encoded as a
// trace and decoded by the reader, give the same findings as feeding the events
// directly (what `pyrace replay` does vs what `pyrace run` does).
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime/trace/trace.h"
#include "tests/runtime/analysis/script.h"

namespace pyrace::testing {
namespace {

std::vector<uint8_t> Encode(const Script& s) {
  int fd = memfd_create("replay_test", 0);
  {
    TraceWriter w(fd, TraceHeader{}, 256);  // small chunks: many chunk boundaries
    const Symbols& syms = s.symbols();
    for (StrId i = 1; i < syms.strings.size(); ++i) w.DefineString(i, syms.strings[i]);
    for (StackId i = 1; i < syms.stacks.size(); ++i) w.DefineStack(i, syms.stacks[i]);
    for (Tid t = 0; t < syms.threads.size(); ++t) w.DefineThread(t, syms.threads[t]);
    for (const Event& e : s.events()) w.Emit(e);
  }
  std::vector<uint8_t> out(static_cast<size_t>(lseek(fd, 0, SEEK_END)));
  EXPECT_EQ(pread(fd, out.data(), out.size(), 0), static_cast<ssize_t>(out.size()));
  close(fd);
  return out;
}

std::vector<Finding> Replay(const std::vector<uint8_t>& trace) {
  Analyzer analyzer(AnalysisOptions{});
  TraceReader reader;
  ReadStatus st = reader.ReadBuffer(trace, analyzer);
  EXPECT_EQ(st.code, ReadStatus::kOk) << st.message;
  return analyzer.Finish(reader.symbols());
}

void ExpectSame(const std::vector<Finding>& live, const std::vector<Finding>& replayed) {
  ASSERT_EQ(live.size(), replayed.size());
  for (size_t i = 0; i < live.size(); ++i) {
    EXPECT_EQ(live[i].kind, replayed[i].kind);
    EXPECT_EQ(live[i].message, replayed[i].message);
    EXPECT_EQ(Primary(live[i]), Primary(replayed[i]));
    EXPECT_EQ(Titles(live[i]), Titles(replayed[i]));
    EXPECT_EQ(live[i].count, replayed[i].count);
    EXPECT_EQ(live[i].fingerprint, replayed[i].fingerprint);
  }
}

TEST(Replay, SeedProgramGivesTheSameFindingsLiveAndReplayed) {
  Script s;
  LockId l = s.NewLock("seed.py", 3);
  for (Tid t = 1; t <= 8; ++t) s.T(0).Start(t).At("seed.py", 30, "<module>");
  for (Tid t = 1; t <= 4; ++t) {
    s.T(t).Lock(l).At("seed.py", 12, "get_value").Unlock(l).At("seed.py", 20, "get_value").Exit();
  }
  s.T(5).Lock(l).At("seed.py", 12, "get_value").FrameEnd(l).At("seed.py", 19, "get_value").Exit();
  s.DeadlockBegin();
  for (Tid t = 6; t <= 8; ++t) s.T(t).WaitsLock(l).At("seed.py", 12, "get_value");
  s.T(0).WaitsAll().At("threading.py", 1590, "_shutdown");
  s.DeadlockEnd();
  std::vector<Finding> live = s.Analyze();
  ASSERT_EQ(live.size(), 2u);
  ExpectSame(live, Replay(Encode(s)));
}

TEST(Replay, LockOrderAndBadReleaseGiveTheSameFindingsLiveAndReplayed) {
  Script s;
  LockId a = s.NewLock("p.py", 1), b = s.NewRLock("p.py", 2), c = s.NewLock("p.py", 3);
  for (int i = 0; i < 50; ++i) {
    s.T(1).Lock(a).At("p.py", 10, "ab").Lock(b).At("p.py", 11, "ab").ReLock(b).At("p.py", 12, "ab");
    s.T(1).ReUnlock(b).Unlock(b).Unlock(a);
    s.T(2).Lock(b).At("p.py", 20, "bc").Lock(c).At("p.py", 21, "bc").Unlock(c).Unlock(b);
    s.T(3).Lock(c).At("p.py", 30, "ca").TimedLock(a).At("p.py", 31, "ca").Unlock(a).Unlock(c);
    s.T(3).BadUnlock(a).At("p.py", 40, "oops");
  }
  std::vector<Finding> live = s.Analyze();
  ASSERT_EQ(live.size(), 2u);
  ExpectSame(live, Replay(Encode(s)));
}

}  // namespace
}  // namespace pyrace::testing
