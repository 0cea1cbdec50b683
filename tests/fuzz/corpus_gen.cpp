// Writes the seed corpus for the trace reader fuzzer, and repairs checksums of fuzzer
// findings so the normal (checksum-verifying) build reaches the same code.
//
//   trace_corpus_gen OUTDIR            write the seeds
//   trace_corpus_gen --fix-crc FILE..  recompute header and chunk crcs in place
//
// A seed's name starts with the status the reader must give it (ok-, truncated-,
// corrupt-, badheader-, toonew-); the corpus replay test checks that.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "runtime/trace/format.h"
#include "runtime/trace/trace.h"

namespace {

using namespace pyrace;
using namespace pyrace::trace_format;
using Bytes = std::vector<uint8_t>;

Bytes WriteTrace(const std::function<void(TraceWriter&)>& fn, size_t chunk_bytes = 256) {
  int fd = memfd_create("seed", 0);
  {
    TraceHeader h;
    h.pid = 1234;
    h.start_unix_us = 1764000000000000;
    h.python_version = "3.11.2";
    h.argv = {"seed.py", "-x"};
    TraceWriter w(fd, h, chunk_bytes);
    fn(w);
  }
  Bytes out(static_cast<size_t>(lseek(fd, 0, SEEK_END)));
  if (pread(fd, out.data(), out.size(), 0) != static_cast<ssize_t>(out.size())) out.clear();
  close(fd);
  return out;
}

void DefineBasics(TraceWriter& w) {
  w.DefineString(1, "seed.py");
  w.DefineString(2, "worker");
  w.DefineString(3, "MainThread");
  w.DefineString(4, "Thread-1 (worker)");
  Frame a[2] = {{1, 2, 10}, {1, 2, 20}};
  w.DefineStack(1, a);
  w.DefineStack(2, std::span<const Frame>(a, 1));
  w.DefineThread(0, ThreadInfo{3, kNoTid, kNoStack});
  w.DefineThread(1, ThreadInfo{4, 0, 2});
  w.DefineLocation(1, LocationInfo{2, 0x7f0012345678});
}

Bytes LockMix() {
  return WriteTrace([](TraceWriter& w) {
    DefineBasics(w);
    w.Emit(MakeEvent(EventKind::kLockCreate, 0, 1, 1, 5, 0, 0));
    w.Emit(MakeEvent(EventKind::kLockCreate, 0, 2, 2, 6, 0, 1));
    w.Emit(MakeEvent(EventKind::kThreadStart, 0, 1, 2, 7));
    uint64_t t = 10;
    for (int i = 0; i < 120; ++i) {
      Tid tid = static_cast<Tid>((i / 7) % 2);
      uint64_t lock = 1 + static_cast<uint64_t>(i % 2);
      w.Emit(MakeEvent(EventKind::kLockAcquired, tid, lock, 1, t += 3));
      w.Emit(MakeEvent(EventKind::kLockRelease, tid, lock, 2, t += 2, kFlagSameFrame));
    }
    w.Emit(MakeEvent(EventKind::kThreadExit, 1, 0, 0, t += 1));
    w.Emit(MakeEvent(EventKind::kThreadJoin, 0, 1, 1, t += 1));
  });
}

Bytes AllKinds() {
  return WriteTrace(
      [](TraceWriter& w) {
        DefineBasics(w);
        const EventKind kinds[] = {
            EventKind::kThreadStart,   EventKind::kThreadExit,   EventKind::kThreadJoin,
            EventKind::kLockCreate,    EventKind::kLockAcquired, EventKind::kLockTryFailed,
            EventKind::kLockRelease,   EventKind::kLockHeldAtFrameEnd,
            EventKind::kHandoffSend,   EventKind::kHandoffRecv,  EventKind::kAccess,
            EventKind::kObjectFree,    EventKind::kDeadlockBegin, EventKind::kDeadlockWait,
            EventKind::kThreadStack,   EventKind::kDeadlockEnd,  EventKind::kGilNotHeld};
        uint64_t t = 0;
        for (EventKind k : kinds) {
          w.Emit(MakeEvent(k, 1, 3, 1, t += 100, kFlagTry | kFlagRaised, 2));
          w.Emit(MakeEvent(k, 0, k == EventKind::kLockCreate ? 9 : UINT64_MAX - 1, 2, t += 1));
        }
      },
      64 * 1024);
}

Bytes HeaderOnly() {
  return WriteTrace([](TraceWriter& w) { w.Flush(); });
}

// Appends a chunk with valid checksums around a hand-made payload.
void AppendChunk(Bytes* t, const Bytes& payload) {
  uint8_t h[kChunkHeaderBytes];
  std::memcpy(h, kChunkMagic, 4);
  PutU32(h + 4, static_cast<uint32_t>(payload.size()));
  PutU32(h + 8, Crc32(0, payload.data(), payload.size()));
  PutU32(h + 12, Crc32(0, h, 12));
  t->insert(t->end(), h, h + kChunkHeaderBytes);
  t->insert(t->end(), payload.begin(), payload.end());
}

Bytes WithChunk(const Bytes& payload) {
  Bytes t = HeaderOnly();
  AppendChunk(&t, payload);
  return t;
}

size_t FirstChunk(const Bytes& t) { return kFileFixedBytes + GetU32(t.data() + 12); }

Bytes Cut(Bytes t, size_t n) {
  t.resize(std::min(n, t.size()));
  return t;
}

Bytes Flip(Bytes t, size_t at, uint8_t mask = 0x10) {
  if (at < t.size()) t[at] ^= mask;
  return t;
}

void FixCrcs(Bytes& t) {
  if (t.size() < kFileFixedBytes || std::memcmp(t.data(), kFileMagic, 8) != 0) return;
  uint32_t len = GetU32(t.data() + 12);
  if (kFileFixedBytes + uint64_t{len} > t.size()) return;
  PutU32(t.data() + 16, Crc32(0, t.data() + kFileFixedBytes, len));
  PutU32(t.data() + 20, Crc32(0, t.data(), 20));
  size_t pos = kFileFixedBytes + len;
  while (pos + kChunkHeaderBytes <= t.size()) {
    uint8_t* h = t.data() + pos;
    uint32_t n = GetU32(h + 4);
    if (pos + kChunkHeaderBytes + uint64_t{n} > t.size()) {
      PutU32(h + 12, Crc32(0, h, 12));  // a cut chunk: its header can still be right
      return;
    }
    PutU32(h + 8, Crc32(0, h + kChunkHeaderBytes, n));
    PutU32(h + 12, Crc32(0, h, 12));
    pos += kChunkHeaderBytes + n;
  }
}

bool Save(const std::string& dir, const std::string& name, const Bytes& b) {
  std::ofstream f(dir + "/" + name, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  return static_cast<bool>(f);
}

int WriteSeeds(const std::string& dir) {
  const uint8_t acq = static_cast<uint8_t>(EventKind::kLockAcquired);
  Bytes mix = LockMix();
  size_t c0 = FirstChunk(mix);
  Bytes newer = HeaderOnly();
  PutU16(newer.data() + 8, kTraceVersionMajor + 1);
  struct Seed {
    std::string name;
    Bytes bytes;
  };
  std::vector<Seed> seeds = {
      {"ok-header-only", HeaderOnly()},
      {"ok-lock-mix", mix},
      {"ok-all-kinds", AllKinds()},
      {"ok-unknown-records", WithChunk({55, 3, 9, 9, 9, 4, 0, acq | kTagSameTid, 2, 0, 2})},
      {"ok-long-string", WriteTrace([](TraceWriter& w) {
         w.DefineString(1, std::string(3000, 's'));
       })},
      // The fuzzer's first finding (a contract check that was too strict): one lock id
      // created twice in a chunk; both events see the later definition.
      {"ok-lock-created-twice", WriteTrace([](TraceWriter& w) {
         DefineBasics(w);
         w.Emit(MakeEvent(EventKind::kLockCreate, 0, 1, 1, 5, 0, 0));
         w.Emit(MakeEvent(EventKind::kLockCreate, 1, 1, 2, 6, 0, 1));
       })},
      // 2.0: a stack on a base (its top frame above stack 1's callers).
      {"ok-stack-on-a-base", WriteTrace([](TraceWriter& w) {
         DefineBasics(w);
         const Frame top[1] = {{1, 2, 30}};
         w.DefineStackOn(3, 1, 1, top);
         w.Emit(MakeEvent(EventKind::kAccess, 1, 1, 3, 5, kFlagWrite));
       })},
      {"truncated-empty", {}},
      {"truncated-in-magic", Cut(mix, 5)},
      {"truncated-in-header", Cut(mix, c0 - 3)},
      {"truncated-in-chunk-header", Cut(mix, c0 + 7)},
      {"truncated-in-payload", Cut(mix, c0 + 100)},
      {"truncated-in-last-chunk", Cut(mix, mix.size() - 1)},
      {"corrupt-payload-flip", Flip(mix, c0 + 40)},
      {"corrupt-chunk-length-flip", Flip(mix, c0 + 5)},
      {"corrupt-chunk-magic", Flip(mix, c0)},
      {"corrupt-trailing-garbage", [&] {
         Bytes t = mix;
         t.push_back('#');
         return t;
       }()},
      {"corrupt-undefined-stack", WithChunk({acq, 0, 0, 10, 0})},
      {"corrupt-undefined-string", WithChunk({kDefStack, 1, 1, 9, 0, 1})},
      {"corrupt-stack-on-undefined-base", WithChunk({kDefStackOn, 4, 3, 9, 0, 0})},
      {"corrupt-string-id-hole", WithChunk({kDefString, 0x80, 0x80, 0x80, 0x80, 0x08, 1, 'a'})},
      {"corrupt-string-too-long", WithChunk({kDefString, 3, 100, 'a'})},
      {"corrupt-overlong-varint",
       WithChunk({acq, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1})},
      {"corrupt-frame-count", WithChunk({kDefStack, 1, 100, 0, 0, 0})},
      {"corrupt-unknown-record-length", WithChunk({55, 9, 1})},
      {"corrupt-lock-id", WithChunk({static_cast<uint8_t>(EventKind::kLockCreate) | kTagSameTid,
                                     0x80, 0x80, 0x80, 0x80, 0x40, 0, 0})},
      {"badheader-not-a-trace", Bytes{'#', '!', 'p', 'y', 't', 'h', 'o', 'n', '\n'}},
      {"badheader-header-flip", Flip(mix, 14)},
      {"badheader-version-zero", [&] {
         Bytes t = HeaderOnly();
         PutU16(t.data() + 8, 0);
         return t;
       }()},
      {"toonew-major", newer},
  };
  for (const Seed& s : seeds) {
    if (!Save(dir, s.name, s.bytes)) {
      std::fprintf(stderr, "cannot write %s/%s\n", dir.c_str(), s.name.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::string(argv[1]) == "--fix-crc") {
    for (int i = 2; i < argc; ++i) {
      std::ifstream in(argv[i], std::ios::binary);
      Bytes b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      FixCrcs(b);
      std::ofstream out(argv[i], std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    }
    return 0;
  }
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTDIR | --fix-crc FILE...\n", argv[0]);
    return 2;
  }
  return WriteSeeds(argv[1]);
}
