// TraceWriter: encodes records into one preallocated chunk buffer and writes whole
// chunks with write(2).
//
// No lock of its own: the runtime calls it only while holding the GIL, which
// serializes every caller. The one re-entrant caller is a fatal-signal handler that
// interrupts the writer on its own thread; Flush() then writes the records completed
// so far and closes the writer (the process is about to die).
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstring>
#include <vector>

#include "runtime/trace/format.h"
#include "runtime/trace/trace.h"

namespace pyrace {

using namespace trace_format;

namespace {

// Per-record-type delta context, reset at every chunk so each chunk decodes on its
// own given the definitions before it.
struct Context {
  uint64_t obj = 0;
  uint32_t stack = 0;
  uint32_t flags_aux = 0;
};

std::vector<uint8_t> EncodeFileHeader(const TraceHeader& h) {
  std::vector<uint8_t> payload;
  uint8_t tmp[10];
  auto put_varint = [&](uint64_t v) {
    uint8_t* e = PutVarint(tmp, v);
    payload.insert(payload.end(), tmp, e);
  };
  auto put_string = [&](const std::string& s, size_t cap) {
    size_t n = std::min(s.size(), cap);
    put_varint(n);
    payload.insert(payload.end(), s.begin(), s.begin() + static_cast<ptrdiff_t>(n));
  };
  // Header fields are informational: cap them so the header stays under its limit.
  constexpr size_t kVersionCap = 1024;
  put_varint(h.pid);
  put_varint(h.start_unix_us);
  put_string(h.python_version, kVersionCap);
  // Leading args up to the budget; the rest are dropped.
  size_t budget = kMaxHeaderPayload - kVersionCap - 64;
  size_t argc = std::min<size_t>(h.argv.size(), kMaxArgs);
  size_t used = 0;
  size_t keep = 0;
  for (; keep < argc; ++keep) {
    used += h.argv[keep].size() + 10;
    if (used > budget) break;
  }
  put_varint(keep);
  for (size_t i = 0; i < keep; ++i) put_string(h.argv[i], kMaxStringBytes);
  put_varint(h.ppid);  // appended in 1.2: older readers stop before it

  std::vector<uint8_t> out(kFileFixedBytes);
  std::memcpy(out.data(), kFileMagic, sizeof kFileMagic);
  PutU16(out.data() + 8, kTraceVersionMajor);
  PutU16(out.data() + 10, kTraceVersionMinor);
  PutU32(out.data() + 12, static_cast<uint32_t>(payload.size()));
  PutU32(out.data() + 16, Crc32(0, payload.data(), payload.size()));
  PutU32(out.data() + 20, Crc32(0, out.data(), 20));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

}  // namespace

struct TraceWriter::Impl {
  int fd;
  std::vector<uint8_t> file_header;
  bool header_written = false;
  size_t chunk_bytes;            // payload size at which a chunk is written
  std::vector<uint8_t> buf;      // chunk header + payload, preallocated
  size_t pos = kChunkHeaderBytes;        // end of what is encoded
  size_t committed = kChunkHeaderBytes;  // end of the last whole record
  Context ctx[64];
  Tid prev_tid = 0;
  uint64_t prev_time = 0;
  uint64_t events = 0;
  uint64_t bytes = 0;
  // Set while a record is being encoded, so a signal handler's Flush() can tell.
  volatile sig_atomic_t busy = 0;
  // Set while a chunk is going out, so a signal handler's Flush() does not write it twice.
  volatile sig_atomic_t writing = 0;
  volatile sig_atomic_t failed = 0;  // a write error: nothing more can be written
  // Closed by a re-entrant Flush(): no new records, but a chunk already going out
  // is finished by the write it interrupted.
  volatile sig_atomic_t closed = 0;
  // KeepDefinitions(): every definition record written, and where each ends.
  bool keep_defs = false;
  std::vector<uint8_t> defs;
  std::vector<size_t> def_ends;

  bool done() const { return failed || closed; }

  // The definition record just encoded at [start, pos) is kept for a forked child.
  void KeepDef(const uint8_t* start) {
    if (!keep_defs) return;
    defs.insert(defs.end(), start, static_cast<const uint8_t*>(buf.data() + pos));
    def_ends.push_back(defs.size());
  }

  void ResetChunk() {
    pos = committed = kChunkHeaderBytes;
    std::fill(std::begin(ctx), std::end(ctx), Context{});
    prev_tid = 0;
    prev_time = 0;
  }

  void Begin() {
    busy = 1;
    std::atomic_signal_fence(std::memory_order_seq_cst);
  }
  void End() {
    std::atomic_signal_fence(std::memory_order_seq_cst);
    committed = pos;
    std::atomic_signal_fence(std::memory_order_seq_cst);
    busy = 0;
  }

  // Makes room for a record of up to n bytes: writes the chunk when the record would
  // not fit, and grows the buffer (outside Flush) for an oversized definition.
  uint8_t* Reserve(size_t n) {
    if (pos + n > kChunkHeaderBytes + chunk_bytes && pos > kChunkHeaderBytes) WriteChunk();
    if (pos + n > buf.size()) buf.resize(pos + n);
    return buf.data() + pos;
  }

  void WriteAll(const uint8_t* data, size_t n);
  void WriteChunkBytes(size_t end);
  void WriteChunk();
  void WriteHeaderOnce() {
    if (header_written) return;
    header_written = true;
    WriteAll(file_header.data(), file_header.size());
  }
};

namespace {

// SetChunkWrittenHook's hook: called from signal-handler context too, so a plain
// pointer read, set once before any chunk is written.
void (*volatile g_chunk_written)() = nullptr;

// Writes with SIGPIPE held off when it is not already ignored (Python ignores it;
// other hosts, like a test binary, would die of it): a closed reader must only make
// the writer fail. Only async-signal-safe calls.
bool SigpipeIgnored() {
  struct sigaction sa;
  if (sigaction(SIGPIPE, nullptr, &sa) != 0) return false;
  return sa.sa_handler == SIG_IGN;
}

}  // namespace

void TraceWriter::Impl::WriteAll(const uint8_t* data, size_t n) {
  if (failed) return;
  bool masked = !SigpipeIgnored();
  sigset_t pipe_set, old_set, pending;
  bool was_pending = false;
  if (masked) {
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
    sigemptyset(&pending);
    was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
  }
  bool got_epipe = false;
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w > 0) {
      data += w;
      n -= static_cast<size_t>(w);
      bytes += static_cast<uint64_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      struct pollfd p = {fd, POLLOUT, 0};
      if (poll(&p, 1, -1) >= 0 || errno == EINTR) continue;
    }
    got_epipe = w < 0 && errno == EPIPE;
    failed = 1;
    break;
  }
  if (masked) {
    if (got_epipe && !was_pending) {
      // Consume the SIGPIPE our own write raised before unblocking it.
      struct timespec zero = {0, 0};
      while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  }
}

// Writes the pending chunk and starts the next. `writing` covers the reset too: a
// signal handler's Flush() between the write and the reset would send the chunk twice.
void TraceWriter::Impl::WriteChunk() {
  writing = 1;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  // A handler that ran before `writing` was set may have written this chunk already.
  if (!closed) {
    WriteHeaderOnce();
    WriteChunkBytes(committed);
    ResetChunk();
  }
  std::atomic_signal_fence(std::memory_order_seq_cst);
  writing = 0;
  // A handler that came during the write left it to finish (Flush returned false).
  if (void (*done)() = g_chunk_written) done();
}

void TraceWriter::Impl::WriteChunkBytes(size_t end) {
  if (end <= kChunkHeaderBytes) return;
  uint8_t* h = buf.data();
  size_t payload = end - kChunkHeaderBytes;
  std::memcpy(h, kChunkMagic, sizeof kChunkMagic);
  PutU32(h + 4, static_cast<uint32_t>(payload));
  PutU32(h + 8, Crc32(0, h + kChunkHeaderBytes, payload));
  PutU32(h + 12, Crc32(0, h, 12));
  WriteAll(h, end);
}

TraceWriter::TraceWriter(int fd, const TraceHeader& header, size_t chunk_bytes)
    : impl_(new Impl) {
  impl_->fd = fd;
  impl_->file_header = EncodeFileHeader(header);
  // The limit leaves room for one record past it; oversized definitions grow the buffer.
  impl_->chunk_bytes = std::clamp<size_t>(chunk_bytes, 256, kMaxChunkPayload / 2);
  impl_->buf.resize(kChunkHeaderBytes + impl_->chunk_bytes + 4096);
  impl_->ResetChunk();
}

TraceWriter::~TraceWriter() {
  Flush();
  delete impl_;
}

void TraceWriter::DefineString(StrId id, std::string_view s) {
  Impl& w = *impl_;
  if (w.done()) return;
  size_t n = std::min<size_t>(s.size(), kMaxStringBytes);
  w.Begin();
  uint8_t* p = w.Reserve(1 + 5 + 5 + n);
  uint8_t* start = p;
  *p++ = kDefString;
  p = PutVarint(p, id);
  p = PutVarint(p, n);
  std::memcpy(p, s.data(), n);
  p += n;
  w.pos += static_cast<size_t>(p - start);
  w.KeepDef(start);
  w.End();
}

namespace {

// A stack record's frames, innermost first; the caller reserved 15 bytes a frame.
uint8_t* PutFrames(uint8_t* p, std::span<const Frame> frames) {
  for (const Frame& f : frames) {
    p = PutVarint(p, f.file);
    p = PutVarint(p, f.function);
    p = PutVarint(p, f.line);
  }
  return p;
}

}  // namespace

void TraceWriter::DefineStack(StackId id, std::span<const Frame> frames) {
  Impl& w = *impl_;
  if (w.done()) return;
  size_t n = std::min<size_t>(frames.size(), kMaxStackFrames);
  w.Begin();
  uint8_t* p = w.Reserve(1 + 5 + 5 + n * 15);
  uint8_t* start = p;
  *p++ = kDefStack;
  p = PutVarint(p, id);
  p = PutVarint(p, n);
  p = PutFrames(p, frames.first(n));
  w.pos += static_cast<size_t>(p - start);
  w.KeepDef(start);
  w.End();
}

void TraceWriter::DefineStackOn(StackId id, StackId base, uint32_t drop, std::span<const Frame> top) {
  Impl& w = *impl_;
  if (w.done()) return;
  size_t n = std::min<size_t>(top.size(), kMaxStackFrames);
  const size_t body_max = 4 * 5 + n * 15;
  w.Begin();
  uint8_t* p = w.Reserve(1 + 5 + body_max);
  uint8_t* start = p;
  *p++ = kDefStackOn;
  // The body is encoded after a length slot of fixed width (a padded varint), so it is
  // written once, in place.
  uint8_t* len_at = p;
  p += 5;
  uint8_t* body = p;
  p = PutVarint(p, id);
  p = PutVarint(p, base);
  p = PutVarint(p, drop);
  p = PutVarint(p, n);
  p = PutFrames(p, top.first(n));
  PutPaddedVarint(len_at, static_cast<uint32_t>(p - body));
  w.pos += static_cast<size_t>(p - start);
  w.KeepDef(start);
  w.End();
}

void TraceWriter::DefineThread(Tid tid, const ThreadInfo& info) {
  Impl& w = *impl_;
  if (w.done()) return;
  w.Begin();
  uint8_t* p = w.Reserve(1 + 4 * 5);
  uint8_t* start = p;
  *p++ = kDefThread;
  p = PutVarint(p, tid);
  p = PutVarint(p, info.name);
  p = PutVarint(p, static_cast<uint32_t>(info.parent + 1));  // kNoTid -> 0
  p = PutVarint(p, info.start_stack);
  w.pos += static_cast<size_t>(p - start);
  w.KeepDef(start);
  w.End();
}

void TraceWriter::DefineLocation(LocId id, const LocationInfo& info) {
  Impl& w = *impl_;
  if (w.done()) return;
  w.Begin();
  uint8_t* p = w.Reserve(1 + 10 + 5 + 10);
  uint8_t* start = p;
  *p++ = kDefLocation;
  p = PutVarint(p, id);
  p = PutVarint(p, info.description);
  p = PutVarint(p, info.object);
  w.pos += static_cast<size_t>(p - start);
  w.KeepDef(start);
  w.End();
}

// Rare events of later minor versions: absolute values behind a length, so older
// readers can skip them and no delta context changes.
void TraceWriter::EmitPrefixed(const Event& e) {
  Impl& w = *impl_;
  uint8_t body[kMaxEventBytes];
  uint8_t* b = body;
  b = PutVarint(b, e.tid);
  b = PutVarint(b, e.flags | (uint32_t{e.aux} << 8));
  b = PutVarint(b, e.obj);
  b = PutVarint(b, e.stack);
  b = PutVarint(b, e.time_us);
  size_t len = static_cast<size_t>(b - body);
  w.Begin();
  uint8_t* p = w.Reserve(1 + 5 + len);
  uint8_t* start = p;
  *p++ = static_cast<uint8_t>(e.kind);
  p = PutVarint(p, len);
  std::memcpy(p, body, len);
  p += len;
  w.pos += static_cast<size_t>(p - start);
  ++w.events;
  w.End();
}

// The 1.1 definitions are length-prefixed, as every record added by a minor version
// must be, so a 1.0 reader skips them.
template <typename Impl>
static void DefinePair(Impl& w, uint8_t type, uint64_t a, uint64_t b) {
  if (w.done()) return;
  w.Begin();
  uint8_t* p = w.Reserve(1 + 1 + 2 * 5);
  uint8_t* start = p;
  uint8_t body[10];
  uint8_t* e = PutVarint(PutVarint(body, a), b);
  *p++ = type;
  p = PutVarint(p, static_cast<uint64_t>(e - body));
  std::memcpy(p, body, static_cast<size_t>(e - body));
  p += e - body;
  w.pos += static_cast<size_t>(p - start);
  w.KeepDef(start);
  w.End();
}

void TraceWriter::DefineLockName(LockId lock, StrId name) { DefinePair(*impl_, kDefLockName, lock, name); }

void TraceWriter::DefineStackTest(StackId stack, StrId test) { DefinePair(*impl_, kDefStackTest, stack, test); }

void TraceWriter::Emit(const Event& e) {
  Impl& w = *impl_;
  uint8_t type = static_cast<uint8_t>(e.kind);
  if (!w.done() && IsPrefixedEventType(type)) {
    EmitPrefixed(e);
    return;
  }
  // An unknown kind would be read back as a length-prefixed record: never write one.
  if (w.done() || !IsEventType(type)) return;
  w.Begin();
  uint8_t* p = w.Reserve(kMaxEventBytes);
  uint8_t* start = p;
  Context& c = w.ctx[type];
  uint32_t flags_aux = e.flags | (uint32_t{e.aux} << 8);
  uint8_t tag = type;
  if (e.tid == w.prev_tid) tag |= kTagSameTid;
  if (flags_aux != c.flags_aux) tag |= kTagFlagsAux;
  *p++ = tag;
  if (!(tag & kTagSameTid)) p = PutVarint(p, e.tid);
  if (tag & kTagFlagsAux) p = PutVarint(p, flags_aux);
  p = PutVarint(p, ZigZag(static_cast<int64_t>(e.obj - c.obj)));
  p = PutVarint(p, ZigZag(int64_t{e.stack} - int64_t{c.stack}));
  p = PutVarint(p, ZigZag(static_cast<int64_t>(e.time_us - w.prev_time)));
  c.obj = e.obj;
  c.stack = e.stack;
  c.flags_aux = flags_aux;
  w.prev_tid = e.tid;
  w.prev_time = e.time_us;
  w.pos += static_cast<size_t>(p - start);
  ++w.events;
  w.End();
}

void TraceWriter::KeepDefinitions() { impl_->keep_defs = true; }

TraceWriter* TraceWriter::NewForChild(int fd, const TraceHeader& header) const {
  const Impl& from = *impl_;
  auto* child = new TraceWriter(fd, header, from.chunk_bytes);
  Impl& w = *child->impl_;
  w.keep_defs = true;
  size_t begin = 0;
  for (size_t end : from.def_ends) {
    const size_t n = end - begin;
    w.Begin();
    uint8_t* p = w.Reserve(n);
    std::memcpy(p, from.defs.data() + begin, n);
    w.pos += n;
    w.KeepDef(p);
    w.End();
    begin = end;
  }
  return child;
}

bool TraceWriter::Flush() {
  Impl& w = *impl_;
  if (w.done()) return true;
  if (w.writing) {
    // Re-entered from a signal handler while a chunk is going out: the interrupted
    // write finishes it if the process lives on; nothing more is written either way.
    w.closed = 1;
    return false;
  }
  if (w.busy) {
    // Re-entered from a signal handler mid-record: keep what is whole, then close.
    w.WriteHeaderOnce();
    w.WriteChunkBytes(w.committed);
    w.closed = 1;
    return true;
  }
  w.WriteChunk();
  return true;
}

void TraceWriter::SetChunkWrittenHook(void (*hook)()) { g_chunk_written = hook; }

uint64_t TraceWriter::events_written() const { return impl_->events; }
uint64_t TraceWriter::bytes_written() const { return impl_->bytes; }
bool TraceWriter::failed() const { return impl_->done(); }

}  // namespace pyrace
