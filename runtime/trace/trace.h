// The event trace: one versioned binary format, written incrementally in
// self-delimiting, checksummed chunks (docs/trace-format.md), so a run that crashes
// or is killed leaves a trace readable up to its last whole chunk.
//
// The writer runs inside the user's interpreter (the GIL serializes its callers); the
// reader runs in the pyrace tool, live on the pipe from the runtime and offline on a
// file, and hands the same events to the same analyses either way.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/model/event.h"
#include "runtime/model/symbols.h"

namespace pyrace {

inline constexpr uint16_t kTraceVersionMajor = 2;
inline constexpr uint16_t kTraceVersionMinor = 1;
// 2.0 is 1.2 and stacks written on a base (docs/trace-format.md): this reader reads
// every 1.x trace as well.
inline constexpr uint16_t kOldestTraceVersionMajor = 1;

struct TraceHeader {
  uint16_t version_major = kTraceVersionMajor;
  uint16_t version_minor = kTraceVersionMinor;
  uint32_t pid = 0;
  uint64_t start_unix_us = 0;
  std::string python_version;      // "3.11.7"
  std::vector<std::string> argv;   // the program's sys.argv (a followed child: its whole command line)
  uint32_t ppid = 0;               // 1.2 appended field: the parent process (0 = not recorded)
};

// Encodes records into a preallocated chunk buffer and writes whole chunks to fd.
//
// Thread safety: none of its own, by design. The runtime calls it only while holding
// the GIL, which serializes the many threads that record; a caller without the GIL
// must bring its own lock. The one permitted re-entry is Flush() from a signal handler
// (see Flush()).
class TraceWriter {
 public:
  // Writes to fd, which it does not own. Nothing is written until the first chunk
  // fills or Flush() is called; the file header goes first.
  TraceWriter(int fd, const TraceHeader& header, size_t chunk_bytes = 64 * 1024);
  ~TraceWriter();  // flushes
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  // Definitions must come before the first event that uses them.
  void DefineString(StrId id, std::string_view s);
  void DefineStack(StackId id, std::span<const Frame> frames);
  // Stack id is `top` (innermost first) above the frames of the defined stack `base`
  // less its `drop` innermost ones: the callers the two share. It is in base's test.
  void DefineStackOn(StackId id, StackId base, uint32_t drop, std::span<const Frame> top);
  void DefineThread(Tid tid, const ThreadInfo& info);
  void DefineLocation(LocId id, const LocationInfo& info);
  // 1.1: Symbols::locks[lock].name, after the lock's kLockCreate.
  void DefineLockName(LockId lock, StrId name);
  // 1.1: Symbols::stack_tests[stack], after the stack's definition.
  void DefineStackTest(StackId stack, StrId test);

  void Emit(const Event& e);
  void EmitPrefixed(const Event& e);

  // Writes the pending chunk now: before the process may die (os._exit, fatal signal,
  // watchdog exit), before blocking, and at exit. Does not allocate and makes only
  // async-signal-safe calls. From a signal handler that interrupted the writer in the
  // middle of a record or of a chunk write, it keeps what is whole and closes the
  // writer (failed() becomes true): meant for handlers after which the process dies.
  // False when a chunk write was under way (in the interrupted code, or in another
  // thread): only that write can finish the chunk, and the process must live until it
  // has (the chunk-written hook says when).
  bool Flush();
  // hook() runs right after every chunk write ends, in the thread that wrote, possibly
  // inside a signal handler: async-signal-safe only. Process-wide; set before writing.
  static void SetChunkWrittenHook(void (*hook)());

  // From now on keeps a copy of every definition written (memory: the size of the
  // definitions), for NewForChild.
  void KeepDefinitions();
  // A forked child's own trace on fd: a new writer whose trace starts with every
  // definition kept here, so the ids the child inherited keep their meaning.
  TraceWriter* NewForChild(int fd, const TraceHeader& header) const;

  uint64_t events_written() const;
  uint64_t bytes_written() const;
  // A write error happened (EPIPE...), or a Flush() from a signal handler that
  // interrupted the writer closed it: further output is dropped.
  bool failed() const;

 private:
  struct Impl;
  Impl* impl_;
};

// Receives what a reader decodes. Symbols are complete for every event delivered.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void OnHeader(const TraceHeader& /*header*/) {}
  virtual void OnEvent(const Event& e, const Symbols& syms) = 0;
};

struct ReadStatus {
  enum Code {
    kOk,          // the whole trace was read
    kTruncated,   // ended inside a chunk (crash or kill): everything before it was delivered
    kCorrupt,     // a chunk failed its checksum or did not decode: stopped before it
    kBadHeader,   // not a pyrace trace
    kTooNew,      // written by a newer pyrace (major version)
    kIoError,
  } code = kOk;
  std::string message;     // says what and where ("chunk 12 at byte 786432: checksum mismatch")
  uint64_t events = 0;     // events delivered
  uint64_t chunks = 0;     // whole chunks read
  uint64_t bytes = 0;      // bytes consumed

  // Nothing in it can be analysed: not a trace, too new, unreadable from the start, or
  // cut inside its own header. Anything else is analysed up to its damage.
  bool Unreadable() const {
    return code == kBadHeader || code == kTooNew || (code == kIoError && events == 0) ||
           (code == kTruncated && bytes == 0);
  }
};

class TraceReader {
 public:
  // Reads fd to EOF (a pipe or a file), delivering events as chunks complete. When
  // tee_fd >= 0, every byte read is copied there (record: keep the trace while
  // analysing it live).
  ReadStatus ReadFd(int fd, EventSink& sink, int tee_fd = -1);
  ReadStatus ReadFile(const std::string& path, EventSink& sink);
  ReadStatus ReadBuffer(std::span<const uint8_t> data, EventSink& sink);

  const Symbols& symbols() const { return symbols_; }
  const TraceHeader& header() const { return header_; }

 private:
  Symbols symbols_;
  TraceHeader header_;
};

}  // namespace pyrace
