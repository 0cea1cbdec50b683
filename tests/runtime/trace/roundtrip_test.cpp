// What the writer writes, the reader delivers: every event kind and field value,
// every definition, across chunk boundaries.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <tuple>

#include "tests/runtime/trace/trace_test_util.h"

namespace pyrace {
namespace {

using testing::CollectSink;
using testing::SameEvent;
using testing::WriteTrace;

constexpr EventKind kAllKinds[] = {
    EventKind::kThreadStart,   EventKind::kThreadExit,      EventKind::kThreadJoin,
    EventKind::kLockCreate,    EventKind::kLockAcquired,    EventKind::kLockTryFailed,
    EventKind::kLockRelease,   EventKind::kLockHeldAtFrameEnd, EventKind::kHandoffSend,
    EventKind::kHandoffRecv,   EventKind::kAccess,          EventKind::kObjectFree,
    EventKind::kDeadlockBegin, EventKind::kDeadlockWait,    EventKind::kThreadStack,
    EventKind::kDeadlockEnd,   EventKind::kGilNotHeld,      EventKind::kLoopBlocked,
    EventKind::kLoopStepEnd,   EventKind::kTaskStep,
    EventKind::kFork,          EventKind::kProcessEnd,
};

TEST(TraceRoundtrip, HeaderFields) {
  TraceHeader h;
  h.pid = 4242;
  h.start_unix_us = 1764059000123456;
  h.python_version = "3.11.7";
  h.argv = {"app.py", "--port", "8080", ""};
  auto bytes = WriteTrace([](TraceWriter& w) { w.Flush(); }, 4096, h);
  TraceReader r;
  CollectSink sink;
  ReadStatus st = r.ReadBuffer(bytes, sink);
  ASSERT_EQ(st.code, ReadStatus::kOk) << st.message;
  ASSERT_EQ(sink.headers.size(), 1u);
  EXPECT_EQ(sink.headers[0].pid, 4242u);
  EXPECT_EQ(sink.headers[0].start_unix_us, 1764059000123456u);
  EXPECT_EQ(sink.headers[0].python_version, "3.11.7");
  EXPECT_EQ(sink.headers[0].argv, h.argv);
  EXPECT_EQ(sink.headers[0].version_major, kTraceVersionMajor);
  EXPECT_EQ(r.header().argv, h.argv);
  EXPECT_EQ(st.events, 0u);
  EXPECT_EQ(st.bytes, bytes.size());
}

// Oversized header fields are cut so the header stays readable.
TEST(TraceRoundtrip, OversizedHeaderStaysReadable) {
  TraceHeader h;
  h.python_version = std::string(3 << 20, 'v');
  h.argv = {"a.py", std::string(600000, 'x'), std::string(600000, 'y'), "tail"};
  auto bytes = WriteTrace([](TraceWriter& w) { w.Flush(); }, 4096, h);
  TraceReader r;
  CollectSink sink;
  ReadStatus st = r.ReadBuffer(bytes, sink);
  ASSERT_EQ(st.code, ReadStatus::kOk) << st.message;
  EXPECT_EQ(r.header().python_version, std::string(1024, 'v'));
  ASSERT_EQ(r.header().argv.size(), 2u);  // the leading args that fit
  EXPECT_EQ(r.header().argv[1], h.argv[1]);
}

TEST(TraceRoundtrip, EveryEventKindAndExtremeFields) {
  std::vector<Event> sent;
  uint64_t t = 0;
  for (EventKind k : kAllKinds) {
    sent.push_back(MakeEvent(k, 0, 1, 1, t += 3));
    sent.push_back(MakeEvent(k, 7, 2, 2, t += 1000000, 0xff, 0xffff));
    sent.push_back(MakeEvent(k, kNoTid - 1, 1, 1, t, kFlagSameFrame));
    sent.push_back(MakeEvent(k, 3, 0, kNoStack, t - 5, 0, 3));  // time going backwards
  }
  // obj spans the whole 64-bit range (LocIds, SyncIds); lock ids stay 32-bit.
  sent.push_back(MakeEvent(EventKind::kAccess, 1, UINT64_MAX, 2, UINT64_MAX, kFlagWrite));
  sent.push_back(MakeEvent(EventKind::kHandoffSend, 1, 0x8000000000000000ull, 0, 0));
  sent.push_back(MakeEvent(EventKind::kAccess, 1, 0, 1, 1));
  auto bytes = WriteTrace([&](TraceWriter& w) {
    w.DefineString(1, "a.py");
    w.DefineString(2, "f");
    Frame f{1, 2, 10};
    w.DefineStack(1, std::span<const Frame>(&f, 1));
    w.DefineStack(2, std::span<const Frame>(&f, 1));
    for (const Event& e : sent) w.Emit(e);
    EXPECT_EQ(w.events_written(), sent.size());
  });
  TraceReader r;
  CollectSink sink;
  ReadStatus st = r.ReadBuffer(bytes, sink);
  ASSERT_EQ(st.code, ReadStatus::kOk) << st.message;
  ASSERT_EQ(sink.events.size(), sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_TRUE(SameEvent(sink.events[i], sent[i])) << "event " << i;
  }
  EXPECT_EQ(st.events, sent.size());
}

TEST(TraceRoundtrip, Definitions) {
  std::vector<Frame> deep;
  for (uint32_t i = 0; i < 300; ++i) deep.push_back(Frame{1 + i % 3, 2, i * 1000});
  std::string big(200000, 'x');
  auto bytes = WriteTrace(
      [&](TraceWriter& w) {
        w.DefineString(1, "worker.py");
        w.DefineString(2, "Account.deposit");
        w.DefineString(3, "Thread-5 (get_value)");
        w.DefineString(4, big);  // larger than a chunk
        w.DefineString(5, std::string_view("nul\0byte", 8));
        w.DefineStack(1, deep);
        w.DefineStack(2, std::span<const Frame>());
        w.DefineThread(0, ThreadInfo{3, kNoTid, kNoStack});
        w.DefineThread(5, ThreadInfo{3, 0, 1});
        w.DefineLocation(9, LocationInfo{2, 0x7f00deadbeefull});
        w.Emit(MakeEvent(EventKind::kLockCreate, 5, 3, 1, 10, 0,
                    static_cast<uint16_t>(LockKind::kRLock)));
        w.Emit(MakeEvent(EventKind::kLockCreate, 0, 1, 2, 11, 0,
                    static_cast<uint16_t>(LockKind::kLock)));
      },
      4096);
  TraceReader r;
  CollectSink sink;
  ReadStatus st = r.ReadBuffer(bytes, sink);
  ASSERT_EQ(st.code, ReadStatus::kOk) << st.message;
  const Symbols& s = r.symbols();
  EXPECT_EQ(s.str(1), "worker.py");
  EXPECT_EQ(s.str(4), big);
  EXPECT_EQ(s.str(5), std::string_view("nul\0byte", 8));
  ASSERT_EQ(s.stack(1).size(), deep.size());
  for (size_t i = 0; i < deep.size(); ++i) EXPECT_TRUE(testing::SameFrame(s.stack(1)[i], deep[i]));
  EXPECT_TRUE(s.stack(2).empty());
  ASSERT_EQ(s.threads.size(), 6u);
  EXPECT_EQ(s.thread_name(5), "Thread-5 (get_value)");
  EXPECT_EQ(s.threads[5].parent, 0u);
  EXPECT_EQ(s.threads[5].start_stack, 1u);
  EXPECT_EQ(s.threads[0].parent, kNoTid);
  ASSERT_EQ(s.locations.size(), 10u);
  EXPECT_EQ(s.locations[9].description, 2u);
  EXPECT_EQ(s.locations[9].object, 0x7f00deadbeefull);
  ASSERT_EQ(s.locks.size(), 4u);
  EXPECT_EQ(s.locks[3].kind, LockKind::kRLock);
  EXPECT_EQ(s.locks[3].creator, 5u);
  EXPECT_EQ(s.locks[3].create_stack, 1u);
  EXPECT_EQ(s.locks[1].kind, LockKind::kLock);
  EXPECT_GT(st.chunks, 1u);
}

// 1.1: a lock's name and a stack's test, also when they reach a later chunk than the
// lock's creation; a lock without one has none.
TEST(TraceRoundtrip, LockNamesAndStackTests) {
  auto bytes = WriteTrace(
      [&](TraceWriter& w) {
        w.DefineString(1, "app.py");
        w.DefineString(2, "PooledDatabase._pool_lock");
        w.DefineString(3, "tests/test_pool.py::test_checkout");
        w.DefineStack(1, std::vector<Frame>{Frame{1, 1, 7}});
        w.DefineStackTest(1, 3);
        for (uint32_t l = 1; l <= 400; ++l) {
          w.Emit(MakeEvent(EventKind::kLockCreate, 0, l, 1, l, 0, static_cast<uint16_t>(LockKind::kLock)));
          if (l % 2 == 0) w.DefineLockName(l, 2);
        }
      },
      256);
  TraceReader r;
  CollectSink sink;
  ReadStatus st = r.ReadBuffer(bytes, sink);
  ASSERT_EQ(st.code, ReadStatus::kOk) << st.message;
  EXPECT_GT(st.chunks, 2u);
  const Symbols& s = r.symbols();
  for (uint32_t l = 1; l <= 400; ++l) {
    EXPECT_EQ(s.lock_name(l), l % 2 == 0 ? "PooledDatabase._pool_lock" : "") << l;
  }
  EXPECT_EQ(s.stack_test(1), "tests/test_pool.py::test_checkout");
  EXPECT_EQ(s.stack_test(0), "");
  EXPECT_EQ(s.stack_test(99), "");
}

// The 1.1 records are length-prefixed: a reader that knows only 1.0 skips them whole.
TEST(TraceRoundtrip, LockNameRecordIsLengthPrefixed) {
  auto bytes = WriteTrace(
      [&](TraceWriter& w) {
        w.DefineString(1, "x.LOCK");
        w.DefineLockName(300, 1);
      },
      4096);
  const uint8_t rec[] = {trace_format::kDefLockName, 3, 0xac, 0x02, 1};  // id 300 = ac 02
  auto it = std::search(bytes.begin(), bytes.end(), std::begin(rec), std::end(rec));
  EXPECT_NE(it, bytes.end());
}

// Many random events over many small chunks: delta contexts restart per chunk.
TEST(TraceRoundtrip, RandomEventsAcrossChunks) {
  std::mt19937_64 rng(12345);
  std::vector<Event> sent;
  uint64_t t = 1000;
  for (int i = 0; i < 50000; ++i) {
    EventKind k = kAllKinds[rng() % std::size(kAllKinds)];
    int r = static_cast<int>(rng() % 4);
    uint64_t obj = r == 0 ? rng() : rng() % 16;
    t += rng() % 50;
    sent.push_back(MakeEvent(k, static_cast<Tid>(rng() % 5), obj, static_cast<StackId>(rng() % 20),
                        t, static_cast<uint8_t>(rng() % 4 == 0 ? rng() : 0),
                        static_cast<uint16_t>(rng() % 8 == 0 ? rng() : 0)));
    if (k == EventKind::kLockCreate) sent.back().obj %= 1000;
  }
  auto bytes = WriteTrace(
      [&](TraceWriter& w) {
        w.DefineString(1, "m.py");
        for (StackId s = 1; s < 20; ++s) {
          Frame f{1, 1, s};
          w.DefineStack(s, std::span<const Frame>(&f, 1));
        }
        for (const Event& e : sent) w.Emit(e);
      },
      1024);
  TraceReader r;
  CollectSink sink;
  ReadStatus st = r.ReadBuffer(bytes, sink);
  ASSERT_EQ(st.code, ReadStatus::kOk) << st.message;
  ASSERT_EQ(sink.events.size(), sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    ASSERT_TRUE(SameEvent(sink.events[i], sent[i])) << "event " << i;
  }
  EXPECT_GT(st.chunks, 100u);
  EXPECT_TRUE(sink.stacks_complete);
}

// The realistic lock-heavy mix stays within the 8 bytes/event budget.
TEST(TraceRoundtrip, LockMixIsCompact) {
  std::mt19937_64 rng(7);
  uint64_t t = 0;
  uint64_t n = 0;
  auto bytes = WriteTrace([&](TraceWriter& w) {
    w.DefineString(1, "loop.py");
    for (StackId s = 1; s <= 8; ++s) {
      Frame f{1, 1, 10 + s};
      w.DefineStack(s, std::span<const Frame>(&f, 1));
    }
    for (int i = 0; i < 100000; ++i) {
      Tid tid = static_cast<Tid>(rng() % 4);
      LockId lock = 1 + static_cast<LockId>(rng() % 3);
      StackId site = 1 + static_cast<StackId>(rng() % 4);
      w.Emit(MakeEvent(EventKind::kLockAcquired, tid, lock, site, t += rng() % 20));
      w.Emit(MakeEvent(EventKind::kLockRelease, tid, lock, site + 4, t += rng() % 20, kFlagSameFrame));
      n += 2;
    }
  });
  double per_event = static_cast<double>(bytes.size()) / static_cast<double>(n);
  EXPECT_LE(per_event, 8.0);
  TraceReader r;
  CollectSink sink;
  ASSERT_EQ(r.ReadBuffer(bytes, sink).code, ReadStatus::kOk);
  EXPECT_EQ(sink.events.size(), n);
}

TEST(TraceRoundtrip, UnknownRecordTypesAreSkippedByLength) {
  auto bytes = testing::EmptyTrace();
  std::vector<uint8_t> payload;
  payload.push_back(static_cast<uint8_t>(EventKind::kThreadExit) | trace_format::kTagSameTid);
  payload.insert(payload.end(), {0, 0, 2});  // obj, stack, time deltas
  payload.push_back(55);                   // a type added by a later minor version
  testing::AppendVarint(&payload, 3);
  payload.insert(payload.end(), {9, 9, 9});
  payload.push_back(4);  // below the definitions, unknown too
  testing::AppendVarint(&payload, 0);
  payload.push_back(static_cast<uint8_t>(EventKind::kThreadExit) | trace_format::kTagSameTid);
  payload.insert(payload.end(), {2, 0, 2});
  testing::AppendChunk(&bytes, payload);
  TraceReader r;
  CollectSink sink;
  ReadStatus st = r.ReadBuffer(bytes, sink);
  ASSERT_EQ(st.code, ReadStatus::kOk) << st.message;
  ASSERT_EQ(sink.events.size(), 2u);
  EXPECT_EQ(sink.events[1].obj, 1u);
  EXPECT_EQ(sink.events[1].time_us, 2u);
}

TEST(TraceRoundtrip, NewerMinorVersionReads) {
  auto bytes = testing::EmptyTrace();
  trace_format::PutU16(bytes.data() + 10, kTraceVersionMinor + 3);
  trace_format::PutU32(bytes.data() + 20, trace_format::Crc32(0, bytes.data(), 20));
  TraceReader r;
  CollectSink sink;
  ReadStatus st = r.ReadBuffer(bytes, sink);
  EXPECT_EQ(st.code, ReadStatus::kOk) << st.message;
  EXPECT_EQ(r.header().version_minor, kTraceVersionMinor + 3);
}

// 2.0 only added a record type: a trace of any 1.x version reads as it did.
TEST(TraceRoundtrip, EarlierMajorVersionReads) {
  auto bytes = WriteTrace([](TraceWriter& w) {
    w.DefineString(1, "a.py");
    const std::vector<Frame> f = {Frame{1, 1, 3}};
    w.DefineStack(1, f);
    w.Emit(MakeEvent(EventKind::kAccess, 1, 5, 1, 9));
  });
  trace_format::PutU16(bytes.data() + 8, kOldestTraceVersionMajor);
  trace_format::PutU16(bytes.data() + 10, 2);
  trace_format::PutU32(bytes.data() + 20, trace_format::Crc32(0, bytes.data(), 20));
  TraceReader r;
  CollectSink sink;
  ReadStatus st = r.ReadBuffer(bytes, sink);
  ASSERT_EQ(st.code, ReadStatus::kOk) << st.message;
  EXPECT_EQ(r.header().version_major, 1u);
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(r.symbols().stack(1).at(0).line, 3u);
}

TEST(TraceRoundtrip, NothingWrittenBeforeFlushThenHeaderFirst) {
  int fd = memfd_create("t", 0);
  {
    TraceWriter w(fd, TraceHeader{});
    w.Emit(MakeEvent(EventKind::kThreadExit, 0, 0, 0, 1));
    EXPECT_EQ(lseek(fd, 0, SEEK_END), 0);
    w.Flush();
    EXPECT_GT(w.bytes_written(), 20u);
    EXPECT_EQ(static_cast<uint64_t>(lseek(fd, 0, SEEK_END)), w.bytes_written());
  }
  close(fd);
}

}  // namespace
}  // namespace pyrace

namespace pyrace {
namespace {

// 1.3: a stack written as its top frames above an earlier stack has that stack's frames
// below its own and is in its test, in the same chunk or a later one; a stack it names
// must be defined before it.
TEST(TraceRoundtrip, StacksOnCallers) {
  auto bytes = WriteTrace(
      [&](TraceWriter& w) {
        w.DefineString(1, "runner.py");
        w.DefineString(2, "test_app.py");
        w.DefineString(3, "test_app.py::test_one");
        const std::vector<Frame> runner = {Frame{1, 1, 10}, Frame{1, 1, 20}};
        w.DefineStack(1, runner);
        w.DefineStackTest(1, 3);
        const std::vector<Frame> top = {Frame{2, 2, 5}};
        for (StackId s = 2; s <= 300; ++s) {
          w.DefineStackOn(s, s == 2 ? 1 : s - 1, 0, top);
        }
        w.DefineStack(301, runner);
        w.DefineStackOn(302, 301, 0, top);
        w.DefineStackOn(303, 2, 1, top);  // 2 with its own top frame replaced
      },
      256);
  TraceReader r;
  CollectSink sink;
  ReadStatus st = r.ReadBuffer(bytes, sink);
  ASSERT_EQ(st.code, ReadStatus::kOk) << st.message;
  EXPECT_GT(st.chunks, 2u);
  const Symbols& s = r.symbols();
  const std::vector<Frame> two = {Frame{2, 2, 5}, Frame{1, 1, 10}, Frame{1, 1, 20}};
  ASSERT_EQ(s.stack(2).size(), 3u);
  EXPECT_TRUE(std::equal(two.begin(), two.end(), s.stack(2).begin(), [](const Frame& a, const Frame& b) {
    return a.file == b.file && a.function == b.function && a.line == b.line;
  }));
  EXPECT_EQ(s.stack(300).size(), 301u);
  EXPECT_EQ(s.stack(300).back().line, 20u);
  EXPECT_EQ(s.stack_test(2), "test_app.py::test_one");
  EXPECT_EQ(s.stack_test(300), "test_app.py::test_one");
  EXPECT_EQ(s.stack(302).size(), 3u);
  EXPECT_EQ(s.stack_test(302), "");  // its callers are in no test
  ASSERT_EQ(s.stack(303).size(), 3u);
  EXPECT_EQ(s.stack(303)[0].line, 5u);
  EXPECT_EQ(s.stack(303)[1].line, 10u);
  EXPECT_EQ(s.stack_test(303), "test_app.py::test_one");
}

TEST(TraceRoundtrip, AStackOnAnUndefinedOrShorterStackIsDamage) {
  const std::vector<Frame> top = {Frame{1, 1, 5}};
  for (auto [base, drop, why] : {std::tuple{StackId{7}, 0u, "undefined stack 7"},
                                 std::tuple{StackId{1}, 2u, "fewer frames than dropped 2"}}) {
    auto bytes = WriteTrace(
        [&](TraceWriter& w) {
          w.DefineString(1, "a.py");
          w.DefineStack(1, top);
          w.DefineStackOn(2, base, drop, top);
        },
        4096);
    TraceReader r;
    CollectSink sink;
    ReadStatus st = r.ReadBuffer(bytes, sink);
    EXPECT_NE(st.code, ReadStatus::kOk);
    EXPECT_NE(st.message.find(why), std::string::npos) << st.message;
  }
}

}  // namespace
}  // namespace pyrace
