// Damaged traces: cut anywhere, any byte flipped, hand-crafted bad records, newer
// versions. The reader delivers exactly the whole good chunks before the damage, says
// what happened and where, and never crashes.
#include <gtest/gtest.h>

#include "tests/runtime/trace/trace_test_util.h"

namespace pyrace {
namespace {

using namespace trace_format;
using testing::AppendChunk;
using testing::AppendVarint;
using testing::CollectSink;

// Chunk i holds exactly batch i's events (the writer flushes after each batch).
constexpr size_t kBatches[] = {3, 1, 5, 2, 4};

struct SmallTrace {
  std::vector<uint8_t> bytes;
  std::vector<size_t> chunk_starts;  // and the end of the trace last
  std::vector<size_t> events_before; // events delivered when cut before chunk i
};

SmallTrace MakeSmallTrace() {
  SmallTrace t;
  TraceHeader h;
  h.python_version = "3.11.7";
  h.argv = {"x.py"};
  t.bytes = testing::WriteTrace(
      [](TraceWriter& w) {
        w.DefineString(1, "x.py");
        Frame f{1, 1, 4};
        w.DefineStack(1, std::span<const Frame>(&f, 1));
        uint64_t time = 0;
        for (size_t n : kBatches) {
          for (size_t i = 0; i < n; ++i) {
            Event e;
            e.kind = i % 2 ? EventKind::kLockRelease : EventKind::kLockAcquired;
            e.tid = static_cast<Tid>(i % 2);
            e.obj = 1;
            e.stack = 1;
            e.time_us = ++time;
            w.Emit(e);
          }
          w.Flush();
        }
      },
      64 * 1024, h);
  t.chunk_starts = testing::ChunkOffsets(t.bytes);
  t.chunk_starts.push_back(t.bytes.size());
  size_t sum = 0;
  for (size_t n : kBatches) {
    t.events_before.push_back(sum);
    sum += n;
  }
  t.events_before.push_back(sum);
  return t;
}

ReadStatus Read(const std::vector<uint8_t>& bytes, CollectSink* sink, size_t len = SIZE_MAX) {
  TraceReader r;
  return r.ReadBuffer(std::span<const uint8_t>(bytes.data(), std::min(len, bytes.size())), *sink);
}

TEST(TraceDamage, SmallTraceLayout) {
  SmallTrace t = MakeSmallTrace();
  ASSERT_EQ(t.chunk_starts.size(), std::size(kBatches) + 1);
  CollectSink sink;
  ReadStatus st = Read(t.bytes, &sink);
  ASSERT_EQ(st.code, ReadStatus::kOk) << st.message;
  EXPECT_EQ(st.chunks, std::size(kBatches));
  EXPECT_EQ(sink.events.size(), t.events_before.back());
}

TEST(TraceDamage, TruncationAtEveryOffset) {
  SmallTrace t = MakeSmallTrace();
  for (size_t cut = 0; cut < t.bytes.size(); ++cut) {
    CollectSink sink;
    ReadStatus st = Read(t.bytes, &sink, cut);
    size_t whole = 0;  // chunks that end at or before the cut
    while (whole + 1 < t.chunk_starts.size() && t.chunk_starts[whole + 1] <= cut) ++whole;
    bool at_boundary = cut >= t.chunk_starts[0] && t.chunk_starts[whole] == cut;
    SCOPED_TRACE("cut at " + std::to_string(cut) + ": " + st.message);
    if (at_boundary) {
      EXPECT_EQ(st.code, ReadStatus::kOk);
    } else {
      ASSERT_EQ(st.code, ReadStatus::kTruncated);
      if (cut > 0) {
        EXPECT_NE(st.message.find("byte " + std::to_string(cut)), std::string::npos);
      }
    }
    size_t expect = cut < t.chunk_starts[0] ? 0 : t.events_before[whole];
    EXPECT_EQ(sink.events.size(), expect);
    EXPECT_EQ(st.events, expect);
    EXPECT_EQ(st.chunks, cut < t.chunk_starts[0] ? 0 : whole);
    EXPECT_EQ(sink.headers.size(), cut < t.chunk_starts[0] ? 0u : 1u);
  }
}

TEST(TraceDamage, FlipEveryByte) {
  SmallTrace t = MakeSmallTrace();
  for (size_t at = 0; at < t.bytes.size(); ++at) {
    for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
      std::vector<uint8_t> bad = t.bytes;
      bad[at] ^= mask;
      CollectSink sink;
      ReadStatus st = Read(bad, &sink);
      SCOPED_TRACE("byte " + std::to_string(at) + " ^ " + std::to_string(mask) + ": " + st.message);
      if (at < t.chunk_starts[0]) {
        bool major_byte = at == 8 || at == 9;
        if (major_byte && GetU16(bad.data() + 8) > kTraceVersionMajor) {
          EXPECT_EQ(st.code, ReadStatus::kTooNew);
        } else {
          EXPECT_EQ(st.code, ReadStatus::kBadHeader);
        }
        EXPECT_TRUE(sink.events.empty());
        continue;
      }
      size_t chunk = 0;
      while (t.chunk_starts[chunk + 1] <= at) ++chunk;
      EXPECT_EQ(st.code, ReadStatus::kCorrupt);
      EXPECT_EQ(sink.events.size(), t.events_before[chunk]);
      EXPECT_NE(st.message.find("chunk " + std::to_string(chunk + 1) + " at byte " +
                                std::to_string(t.chunk_starts[chunk])),
                std::string::npos);
    }
  }
}

TEST(TraceDamage, NewerMajorVersionIsTooNew) {
  auto bytes = testing::EmptyTrace();
  PutU16(bytes.data() + 8, kTraceVersionMajor + 1);
  PutU16(bytes.data() + 10, 4);
  bytes.resize(12);  // a newer layout may differ after the version: not looked at
  CollectSink sink;
  ReadStatus st = Read(bytes, &sink);
  EXPECT_EQ(st.code, ReadStatus::kTooNew);
  EXPECT_NE(st.message.find(std::to_string(kTraceVersionMajor + 1) + ".4"), std::string::npos);
  EXPECT_NE(st.message.find(std::to_string(kTraceVersionMajor) + "." +
                            std::to_string(kTraceVersionMinor)),
            std::string::npos);
}

TEST(TraceDamage, NotATraceIsBadHeader) {
  std::vector<uint8_t> text = {'#', '!', '/', 'u', 's', 'r', '/', 'b', 'i', 'n'};
  CollectSink sink;
  EXPECT_EQ(Read(text, &sink).code, ReadStatus::kBadHeader);
  std::vector<uint8_t> one = {'X'};
  EXPECT_EQ(Read(one, &sink).code, ReadStatus::kBadHeader);
  auto old = testing::EmptyTrace();
  PutU16(old.data() + 8, 0);
  EXPECT_EQ(Read(old, &sink).code, ReadStatus::kBadHeader);
}

TEST(TraceDamage, EmptyInputIsTruncated) {
  CollectSink sink;
  ReadStatus st = Read({}, &sink);
  EXPECT_EQ(st.code, ReadStatus::kTruncated);
  EXPECT_NE(st.message.find("empty"), std::string::npos);
}

// A chunk with valid checksums whose records do not decode (a writer bug or a crafted
// file) is corrupt at the record, and its definitions are dropped.
struct Crafted {
  const char* name;
  std::vector<uint8_t> payload;
  const char* expect;  // in the message
};

std::vector<uint8_t> Concat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::vector<uint8_t> Varint(uint64_t v) {
  std::vector<uint8_t> out;
  AppendVarint(&out, v);
  return out;
}

const uint8_t kAcq = static_cast<uint8_t>(EventKind::kLockAcquired);
const uint8_t kCreate = static_cast<uint8_t>(EventKind::kLockCreate);

TEST(TraceDamage, CraftedRecords) {
  const std::vector<uint8_t> def_str7 = {kDefString, 7, 1, 'a'};
  const Crafted cases[] = {
      {"undefined stack", Concat({def_str7, {kAcq, 0, 0, 10, 0}}), "undefined stack 5"},
      {"undefined string in a frame", {kDefStack, 1, 1, 9, 0, 1}, "undefined string 9"},
      {"string id far out of range", Concat({{kDefString}, Varint(1ull << 31), {1, 'a'}}),
       "string id out of range"},
      {"string id beyond 32 bits", Concat({{kDefString}, Varint(1ull << 40), {1, 'a'}}),
       "string id out of range"},
      {"string longer than the chunk", {kDefString, 3, 100, 'a'}, "string length out of range"},
      {"frame count beyond the bytes left", {kDefStack, 1, 100, 0, 0, 0}, "frame count"},
      {"overlong varint", Concat({def_str7, {kAcq, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                             0xff, 0xff, 0xff, 0x01}}),
       "bad varint"},
      {"varint cut by the chunk end", {kAcq, 0x80}, "bad varint"},
      {"tid beyond 32 bits", Concat({{kAcq}, Varint(1ull << 33), {0, 0, 0}}),
       "thread id out of range"},
      {"flags beyond 24 bits", Concat({{kAcq | kTagSameTid | kTagFlagsAux}, Varint(1u << 24),
                                       {0, 0, 0}}),
       "flags out of range"},
      {"lock id beyond 32 bits", Concat({{kCreate | kTagSameTid}, Varint(ZigZag(1ll << 33)),
                                         {0, 0}}),
       "lock id out of range"},
      {"unknown record longer than the chunk", {50 + 5, 9, 1}, "record length out of range"},
      {"definition with event tag bits", {kDefString | kTagSameTid, 1, 0}, "event tag bits"},
      {"thread names an undefined stack", {kDefThread, 1, 0, 0, 3}, "undefined stack 3"},
  };
  for (const Crafted& c : cases) {
    SCOPED_TRACE(c.name);
    auto bytes = testing::EmptyTrace();
    std::vector<uint8_t> good = {kAcq | kTagSameTid, 2, 0, 2};
    AppendChunk(&bytes, good);
    size_t second = bytes.size();
    AppendChunk(&bytes, c.payload);
    AppendChunk(&bytes, good);
    TraceReader r;
    CollectSink sink;
    ReadStatus st = r.ReadBuffer(bytes, sink);
    EXPECT_EQ(st.code, ReadStatus::kCorrupt);
    EXPECT_NE(st.message.find("chunk 2 at byte " + std::to_string(second)), std::string::npos)
        << st.message;
    EXPECT_NE(st.message.find(c.expect), std::string::npos) << st.message;
    EXPECT_EQ(sink.events.size(), 1u);
    EXPECT_EQ(st.chunks, 1u);
    EXPECT_EQ(st.bytes, second);
    EXPECT_EQ(r.symbols().strings.size(), 1u);  // string 7 of the bad chunk is dropped
    EXPECT_EQ(r.symbols().locks.size(), 0u);
  }
}

TEST(TraceDamage, RecordOffsetNamesTheBadRecord) {
  auto bytes = testing::EmptyTrace();
  size_t chunk = bytes.size();
  AppendChunk(&bytes, {kAcq | kTagSameTid, 0, 0, 2, kAcq | kTagSameTid, 0, 4, 2});
  CollectSink sink;
  ReadStatus st = Read(bytes, &sink);
  EXPECT_EQ(st.code, ReadStatus::kCorrupt);
  EXPECT_NE(st.message.find("record at byte " + std::to_string(chunk + kChunkHeaderBytes + 4)),
            std::string::npos)
      << st.message;
  EXPECT_TRUE(sink.events.empty());  // nothing of a corrupt chunk is delivered
}

TEST(TraceDamage, HugeChunkLengthIsCorruptNotAllocated) {
  auto bytes = testing::EmptyTrace();
  size_t at = bytes.size();
  uint8_t h[kChunkHeaderBytes];
  std::memcpy(h, kChunkMagic, 4);
  PutU32(h + 4, 0xfffffff0u);
  PutU32(h + 8, 0);
  PutU32(h + 12, Crc32(0, h, 12));
  bytes.insert(bytes.end(), h, h + kChunkHeaderBytes);
  CollectSink sink;
  ReadStatus st = Read(bytes, &sink);
  EXPECT_EQ(st.code, ReadStatus::kCorrupt);
  EXPECT_NE(st.message.find("chunk 1 at byte " + std::to_string(at)), std::string::npos);
  EXPECT_NE(st.message.find("out of range"), std::string::npos);
}

TEST(TraceDamage, TrailingGarbageIsCorrupt) {
  auto bytes = testing::EmptyTrace();
  bytes.push_back('x');
  CollectSink sink;
  EXPECT_EQ(Read(bytes, &sink).code, ReadStatus::kCorrupt);
  bytes.back() = 'P';  // could be the start of a chunk: the trace was cut
  EXPECT_EQ(Read(bytes, &sink).code, ReadStatus::kTruncated);
}

}  // namespace
}  // namespace pyrace
