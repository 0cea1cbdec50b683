// Helpers for the trace tests: write a trace into memory, collect what a reader
// delivers, and hand-craft chunks the writer would never produce.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <vector>

#include "runtime/trace/format.h"
#include "runtime/trace/trace.h"

namespace pyrace::testing {

inline bool SameFrame(const Frame& a, const Frame& b) {
  return a.file == b.file && a.function == b.function && a.line == b.line;
}

inline bool SameEvent(const Event& a, const Event& b) {
  return a.kind == b.kind && a.flags == b.flags && a.aux == b.aux && a.tid == b.tid &&
         a.obj == b.obj && a.stack == b.stack && a.time_us == b.time_us;
}

struct CollectSink : EventSink {
  std::vector<TraceHeader> headers;
  std::vector<Event> events;
  // For each event, whether the stack it names was already defined when delivered.
  bool stacks_complete = true;
  void OnHeader(const TraceHeader& h) override { headers.push_back(h); }
  void OnEvent(const Event& e, const Symbols& syms) override {
    if (e.stack >= syms.stacks.size()) stacks_complete = false;
    events.push_back(e);
  }
};

// Runs fn against a writer on an in-memory file and returns the bytes written.
inline std::vector<uint8_t> WriteTrace(const std::function<void(TraceWriter&)>& fn,
                                       size_t chunk_bytes = 64 * 1024,
                                       const TraceHeader& header = TraceHeader{}) {
  int fd = memfd_create("trace", 0);
  {
    TraceWriter w(fd, header, chunk_bytes);
    fn(w);
  }
  off_t size = lseek(fd, 0, SEEK_END);
  std::vector<uint8_t> out(static_cast<size_t>(size));
  if (pread(fd, out.data(), out.size(), 0) != size) out.clear();
  close(fd);
  return out;
}

// The offsets at which each chunk starts, and the end of the file header.
inline std::vector<size_t> ChunkOffsets(const std::vector<uint8_t>& t) {
  using namespace trace_format;
  std::vector<size_t> offs;
  size_t pos = kFileFixedBytes + GetU32(t.data() + 12);
  while (pos + kChunkHeaderBytes <= t.size()) {
    offs.push_back(pos);
    pos += kChunkHeaderBytes + GetU32(t.data() + pos + 4);
  }
  return offs;
}

// Appends a chunk with the given payload and valid checksums.
inline void AppendChunk(std::vector<uint8_t>* t, const std::vector<uint8_t>& payload) {
  using namespace trace_format;
  uint8_t h[kChunkHeaderBytes];
  std::memcpy(h, kChunkMagic, 4);
  PutU32(h + 4, static_cast<uint32_t>(payload.size()));
  PutU32(h + 8, Crc32(0, payload.data(), payload.size()));
  PutU32(h + 12, Crc32(0, h, 12));
  t->insert(t->end(), h, h + kChunkHeaderBytes);
  t->insert(t->end(), payload.begin(), payload.end());
}

inline void AppendVarint(std::vector<uint8_t>* out, uint64_t v) {
  uint8_t tmp[10];
  uint8_t* e = trace_format::PutVarint(tmp, v);
  out->insert(out->end(), tmp, e);
}

// A trace with only a file header.
inline std::vector<uint8_t> EmptyTrace() {
  return WriteTrace([](TraceWriter& w) { w.Flush(); });
}

}  // namespace pyrace::testing
