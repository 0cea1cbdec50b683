// TraceReader: walks the file header and then chunk after chunk, from memory or from
// a file descriptor (a pipe delivers what the writer flushed; the reader waits for a
// whole chunk before decoding it). Every length is checked against a cap before
// anything is allocated for it.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "runtime/trace/chunk_decoder.h"
#include "runtime/trace/format.h"
#include "runtime/trace/trace.h"

namespace pyrace {

using namespace trace_format;

namespace {

// A byte stream with look-ahead: Peek(n) makes up to n bytes visible (fewer only at
// the end of the input or on a read error), Consume(n) moves past them.
class Source {
 public:
  virtual ~Source() = default;
  virtual size_t Peek(size_t n, const uint8_t** data) = 0;
  virtual void Consume(size_t n) = 0;
  virtual const char* error() const { return nullptr; }
};

class MemorySource : public Source {
 public:
  explicit MemorySource(std::span<const uint8_t> d) : data_(d) {}
  size_t Peek(size_t n, const uint8_t** data) override {
    *data = data_.data() + pos_;
    return std::min(n, data_.size() - pos_);
  }
  void Consume(size_t n) override { pos_ += n; }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

class FdSource : public Source {
 public:
  FdSource(int fd, int tee_fd) : fd_(fd), tee_fd_(tee_fd) { buf_.resize(256 * 1024); }

  size_t Peek(size_t n, const uint8_t** data) override {
    if (end_ - begin_ < n && !eof_) Fill(n);
    *data = buf_.data() + begin_;
    return std::min(n, end_ - begin_);
  }
  void Consume(size_t n) override { begin_ += n; }
  const char* error() const override { return read_errno_ ? strerror(read_errno_) : nullptr; }
  int tee_errno() const { return tee_errno_; }

  // Reads (and tees) the rest of the input unparsed, so a live writer never blocks
  // on a full pipe after the reader gave up on the trace.
  void Drain() {
    while (!eof_) {
      begin_ = end_ = 0;
      Fill(buf_.size());
    }
  }

 private:
  void Fill(size_t n) {
    if (begin_ > 0) {  // keep the unconsumed tail at the front
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (buf_.size() < n) buf_.resize(n);  // n is capped by the caller's format limits
    while (end_ < n) {
      ssize_t r = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
      if (r > 0) {
        Tee(buf_.data() + end_, static_cast<size_t>(r));
        end_ += static_cast<size_t>(r);
      } else if (r == 0) {
        eof_ = true;
        return;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        struct pollfd p = {fd_, POLLIN, 0};
        poll(&p, 1, -1);
      } else if (errno != EINTR) {
        read_errno_ = errno;
        eof_ = true;
        return;
      }
    }
  }

  void Tee(const uint8_t* data, size_t n) {
    if (tee_fd_ < 0 || tee_errno_) return;
    while (n > 0) {
      ssize_t w = ::write(tee_fd_, data, n);
      if (w > 0) {
        data += w;
        n -= static_cast<size_t>(w);
      } else if (w < 0 && errno != EINTR) {
        tee_errno_ = errno;  // keep analysing; the caller reports the lost copy
        return;
      }
    }
  }

  int fd_;
  int tee_fd_;
  std::vector<uint8_t> buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  int read_errno_ = 0;
  int tee_errno_ = 0;
};

// Reads the strings of the header payload; false when a length runs past the end.
bool GetString(const uint8_t*& p, const uint8_t* end, std::string* out) {
  uint64_t len;
  if (!(p = GetVarint(p, end, &len))) return false;
  if (len > kMaxStringBytes || len > static_cast<uint64_t>(end - p)) return false;
  out->assign(reinterpret_cast<const char*>(p), static_cast<size_t>(len));
  p += len;
  return true;
}

// Header fields after the version are v1's; later minor versions may append fields,
// which this reader ignores.
bool ParseHeaderPayload(const uint8_t* p, const uint8_t* end, TraceHeader* h) {
  uint64_t pid, start, argc;
  if (!(p = GetVarint(p, end, &pid)) || pid > UINT32_MAX) return false;
  if (!(p = GetVarint(p, end, &start))) return false;
  if (!GetString(p, end, &h->python_version)) return false;
  if (!(p = GetVarint(p, end, &argc)) || argc > kMaxArgs) return false;
  if (argc > static_cast<uint64_t>(end - p)) return false;  // each arg is >= 1 byte
  h->pid = static_cast<uint32_t>(pid);
  h->start_unix_us = start;
  h->argv.resize(static_cast<size_t>(argc));
  for (std::string& a : h->argv) {
    if (!GetString(p, end, &a)) return false;
  }
  // Appended in 1.2; an older header ends before it.
  uint64_t ppid = 0;
  if (p < end && GetVarint(p, end, &ppid) != nullptr && ppid <= UINT32_MAX) h->ppid = static_cast<uint32_t>(ppid);
  return true;
}

// Fuzzing builds accept any checksum so that mutated input reaches the decoder.
bool CrcMatches(uint32_t computed, uint32_t stored) {
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  (void)computed;
  (void)stored;
  return true;
#else
  return computed == stored;
#endif
}

bool IsPrefixOf(const uint8_t* data, size_t n, const uint8_t* magic, size_t magic_len) {
  return std::memcmp(data, magic, std::min(n, magic_len)) == 0;
}

std::string At(uint64_t chunk, uint64_t offset) {
  return "chunk " + std::to_string(chunk) + " at byte " + std::to_string(offset);
}

// The walk over one stream: header, then chunks until the end or the first problem.
class Walk {
 public:
  Walk(Source& src, EventSink& sink, Symbols* syms, TraceHeader* header)
      : src_(src), sink_(sink), header_(header), decoder_(syms), syms_(syms) {}

  ReadStatus Run() {
    if (!ReadHeader()) return st_;
    while (ReadChunk()) {
    }
    return st_;
  }

 private:
  bool Stop(ReadStatus::Code code, std::string message) {
    st_.code = code;
    st_.message = std::move(message);
    return false;
  }

  // Fewer bytes than asked for: a read error, or the trace ends here.
  bool Short(size_t got, const std::string& where) {
    if (src_.error()) {
      return Stop(ReadStatus::kIoError, "read error at byte " +
                                            std::to_string(st_.bytes + got) + ": " + src_.error());
    }
    return Stop(ReadStatus::kTruncated, "trace truncated at byte " +
                                            std::to_string(st_.bytes + got) + " inside " + where +
                                            "; analysed the " + std::to_string(st_.chunks) +
                                            " whole chunks before it");
  }

  bool ReadHeader() {
    const uint8_t* p;
    size_t got = src_.Peek(kFileFixedBytes, &p);
    if (got > 0 && !IsPrefixOf(p, got, kFileMagic, sizeof kFileMagic)) {
      return Stop(ReadStatus::kBadHeader, "not a pyrace trace (bad magic)");
    }
    if (got == 0 && !src_.error()) return Stop(ReadStatus::kTruncated, "trace is empty (0 bytes)");
    if (got < 12) return Short(got, "the file header");
    uint16_t major = GetU16(p + 8);
    uint16_t minor = GetU16(p + 10);
    std::string version = std::to_string(major) + "." + std::to_string(minor);
    if (major > kTraceVersionMajor) {
      return Stop(ReadStatus::kTooNew,
                  "trace format version " + version + " is newer than this pyrace reads (" +
                      std::to_string(kTraceVersionMajor) + "." +
                      std::to_string(kTraceVersionMinor) + "): use a newer pyrace");
    }
    if (major < kOldestTraceVersionMajor) {
      return Stop(ReadStatus::kBadHeader, "unsupported trace format version " + version);
    }
    if (got < kFileFixedBytes) return Short(got, "the file header");
    if (!CrcMatches(Crc32(0, p, 20), GetU32(p + 20))) {
      return Stop(ReadStatus::kBadHeader, "file header checksum mismatch");
    }
    uint32_t len = GetU32(p + 12);
    if (len > kMaxHeaderPayload) {
      return Stop(ReadStatus::kBadHeader,
                  "file header length " + std::to_string(len) + " out of range");
    }
    got = src_.Peek(kFileFixedBytes + len, &p);
    if (got < kFileFixedBytes + len) return Short(got, "the file header");
    if (!CrcMatches(Crc32(0, p + kFileFixedBytes, len), GetU32(p + 16))) {
      return Stop(ReadStatus::kBadHeader, "file header checksum mismatch");
    }
    *header_ = TraceHeader{};
    header_->version_major = major;
    header_->version_minor = minor;
    if (!ParseHeaderPayload(p + kFileFixedBytes, p + kFileFixedBytes + len, header_)) {
      return Stop(ReadStatus::kBadHeader, "file header does not decode");
    }
    src_.Consume(kFileFixedBytes + len);
    st_.bytes = kFileFixedBytes + len;
    sink_.OnHeader(*header_);
    return true;
  }

  bool ReadChunk() {
    const uint64_t number = st_.chunks + 1;
    const uint8_t* p;
    size_t got = src_.Peek(kChunkHeaderBytes, &p);
    if (got == 0 && !src_.error()) return false;  // a clean end between chunks
    if (!IsPrefixOf(p, got, kChunkMagic, sizeof kChunkMagic)) {
      return Stop(ReadStatus::kCorrupt, At(number, st_.bytes) + ": bad chunk magic");
    }
    if (got < kChunkHeaderBytes) return Short(got, "the header of chunk " + std::to_string(number));
    if (!CrcMatches(Crc32(0, p, 12), GetU32(p + 12))) {
      return Stop(ReadStatus::kCorrupt, At(number, st_.bytes) + ": chunk header checksum mismatch");
    }
    uint32_t len = GetU32(p + 4);
    uint32_t crc = GetU32(p + 8);
    if (len > kMaxChunkPayload) {
      return Stop(ReadStatus::kCorrupt,
                  At(number, st_.bytes) + ": chunk length " + std::to_string(len) + " out of range");
    }
    got = src_.Peek(kChunkHeaderBytes + len, &p);
    if (got < kChunkHeaderBytes + len) return Short(got, "chunk " + std::to_string(number));
    const uint8_t* payload = p + kChunkHeaderBytes;
    if (!CrcMatches(Crc32(0, payload, len), crc)) {
      return Stop(ReadStatus::kCorrupt, At(number, st_.bytes) + ": checksum mismatch");
    }
    std::string why;
    size_t where = 0;
    if (!decoder_.Decode(payload, len, &events_, &why, &where)) {
      return Stop(ReadStatus::kCorrupt, At(number, st_.bytes) + ": record at byte " +
                                            std::to_string(st_.bytes + kChunkHeaderBytes + where) +
                                            ": " + why);
    }
    for (const Event& e : events_) sink_.OnEvent(e, *syms_);
    st_.events += events_.size();
    st_.chunks = number;
    st_.bytes += kChunkHeaderBytes + len;
    src_.Consume(kChunkHeaderBytes + len);
    return true;
  }

  Source& src_;
  EventSink& sink_;
  TraceHeader* header_;
  ChunkDecoder decoder_;
  Symbols* syms_;
  std::vector<Event> events_;
  ReadStatus st_;
};

}  // namespace

ReadStatus TraceReader::ReadBuffer(std::span<const uint8_t> data, EventSink& sink) {
  symbols_ = Symbols{};
  header_ = TraceHeader{};
  MemorySource src(data);
  return Walk(src, sink, &symbols_, &header_).Run();
}

ReadStatus TraceReader::ReadFd(int fd, EventSink& sink, int tee_fd) {
  symbols_ = Symbols{};
  header_ = TraceHeader{};
  FdSource src(fd, tee_fd);
  ReadStatus st = Walk(src, sink, &symbols_, &header_).Run();
  src.Drain();
  // Everything that was read has been analysed; losing the copy is still an error
  // the user must hear about (record -o would leave a short file).
  if (src.tee_errno()) {
    std::string lost = std::string("could not write the trace copy: ") + strerror(src.tee_errno());
    if (st.code == ReadStatus::kOk) {
      st.code = ReadStatus::kIoError;
      st.message = lost;
    } else {
      st.message += "; " + lost;
    }
  }
  return st;
}

ReadStatus TraceReader::ReadFile(const std::string& path, EventSink& sink) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    ReadStatus st;
    st.code = ReadStatus::kIoError;
    st.message = "cannot open " + path + ": " + strerror(errno);
    return st;
  }
  ReadStatus st = ReadFd(fd, sink);
  ::close(fd);
  return st;
}

}  // namespace pyrace
