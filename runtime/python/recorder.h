// The runtime's recording surface inside the user's interpreter: one Recorder per
// process, created when _pyrace is imported, recording once bootstrap() has opened
// the trace. Lock, thread and queue wrappers, the watchdog and the access hooks
// (runtime/python/access_hooks.*) all record through it.
//
// Every method must be called with the GIL held: the GIL is what serializes the
// trace writer, the stack depot and the thread registry.
//
// Stable API for other parts of the runtime (keep signatures unchanged):
//   Recorder& rec = Recorder::Get();
//   if (rec.recording()) {
//     StackId s = rec.CaptureStack();            // calling thread's Python stack
//     rec.Emit(EventKind::kAccess, loc, kFlagWrite, 0, s);
//   }
//   LocId loc = rec.DefineLocation({rec.InternString("counter.g_num"), object_id});
//
// Access hooks: a file runtime/python/access_hooks.h declaring
//   int pyrace_access_init(PyObject* module, pyrace::py::Recorder* rec);
// is picked up by the build; bootstrap() calls it after the lock and thread wrappers
// are installed and before the user's program runs (0 = ok, -1 = exception set).
#pragma once

#include "runtime/python/py_compat.h"

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "runtime/model/event.h"
#include "runtime/model/symbols.h"
#include "runtime/options/options.h"
#include "runtime/trace/trace.h"

namespace pyrace::py {

class StackDepot;
class ThreadRegistry;
struct ThreadRec;

class Recorder {
 public:
  static Recorder& Get();

  // True while events reach a trace: after bootstrap() opened trace_fd, before the
  // final flush at exit, and never in a forked child.
  bool recording() const { return writer_ != nullptr; }
  const Options& options() const { return options_; }

  // The calling thread's id; threads pyrace did not start are registered on first use.
  Tid CurrentTid();
  // The calling thread's Python stack (options().stack_depth frames, innermost first),
  // deduplicated and defined in the trace before it is returned.
  StackId CaptureStack();
  // Same, starting at a given frame (another thread's, a finished one...).
  // thread: whose frames they are, for the test they belong to (test_context.h).
  StackId CaptureStackFrom(PyFrameObject* top, const ThreadRec* thread = nullptr);
  StrId InternString(std::string_view s);
  // Defined in the trace, not interned (see StackDepot::DefineOnce).
  StrId DefineString(std::string_view s);
  // Hands out the next LocId and writes its definition.
  LocId DefineLocation(const LocationInfo& info);

  // An event of the calling thread.
  void Emit(EventKind kind, uint64_t obj, uint8_t flags = 0, uint16_t aux = 0,
            StackId stack = kNoStack);
  // An event of thread tid, written by whoever is calling (the watchdog for stuck
  // threads, the C bridge for C threads, a lock's deallocator for its holder).
  void EmitFor(Tid tid, EventKind kind, uint64_t obj, uint8_t flags = 0, uint16_t aux = 0,
               StackId stack = kNoStack);
  // A wrapped lock's acquire or release by the calling thread (holders.cpp): the same
  // event, and what it tells about whether this thread's epoch can show (see below).
  void EmitWrappedLock(EventKind kind, LockId lock, uint8_t flags, StackId stack);
  // A wrapped lock is freed: its id is never acquired again.
  void ForgetLock(LockId lock);

  // --- what the access hooks' repeat skip needs (AccessRegistry::Record) ---------
  // Counts every event other than accesses.
  uint64_t sync_serial() const { return sync_serial_; }
  // The serial of the last event that could order another thread after this one's
  // current epoch, or change what a thread knows of another's, other than a wrapped
  // lock's release taken back by the releasing thread itself: everything but wrapped
  // lock events, an acquire of a lock another thread released last, a failed or
  // freed release. A release by thread T ticks T's clock in the detector, but the
  // clock it leaves on the lock is seen by nobody when T itself takes the lock again
  // first: T's accesses before and after are alike to every other thread.
  uint64_t last_publish() const { return last_publish_; }

  // Sends what is buffered to the trace now.
  void Flush();
  // Microseconds since the recorder started (the trace's clock).
  uint64_t NowUs() const;

  // --- for the runtime's own wrappers -------------------------------------------
  // Starts recording to options.trace_fd (no trace when it is < 0: wrappers and the
  // watchdog still run). Returns false with a Python exception set on failure.
  bool Start(const Options& options, const TraceHeader& header);
  // Final flush; later events are dropped (daemon threads may still run).
  void Stop();
  // In a forked child: forget the writer without flushing (the parent owns those
  // bytes) and close the fd. Async-signal-safe enough for pthread_atfork.
  void AbandonAfterFork();
  // Then, in a child of os.fork() that the tool follows: a new trace of its own on the
  // tool's socket, starting with the definitions the child's inherited ids name.
  // Returns whether the child records.
  bool ContinueInForkedChild(int fd, uint32_t parent_pid);
  // Flush for a fatal signal: no allocation, no GIL. False while a chunk write is
  // under way elsewhere (TraceWriter::Flush).
  bool FlushFromSignal();

  ThreadRegistry& threads() { return *threads_; }
  StackDepot& depot() { return *depot_; }
  TraceWriter* writer() { return writer_; }
  const TraceHeader& header() const { return header_; }
  LockId NextLockId() { return next_lock_id_++; }
  uint64_t NextSyncId() { return next_sync_id_++; }

 private:
  Recorder();

  uint64_t EventTime(EventKind kind);
  // The bookkeeping behind last_publish() for one event (private: a wrapped lock's).
  void NoteSync(Tid tid, EventKind kind, uint64_t obj, uint8_t flags, bool wrapped_lock);

  TraceWriter* writer_ = nullptr;  // leaked on purpose: daemon threads outlive exit
  TraceWriter* abandoned_ = nullptr;  // the parent's writer, in a forked child
  TraceHeader header_;
  uint64_t last_time_us_ = 0;
  uint64_t accesses_since_clock_ = 0;
  Options options_;
  int fd_ = -1;
  uint64_t start_ns_ = 0;
  LockId next_lock_id_ = 1;  // 0 is the GIL
  uint64_t next_sync_id_ = 1;
  LocId next_loc_id_ = 0;
  uint64_t sync_serial_ = 0;
  uint64_t last_publish_ = 0;
  bool wrapped_lock_event_ = false;  // set by EmitWrappedLock around its EmitFor
  // By LockId: the release of it that no acquire has followed yet (tid kNoTid: none).
  struct PendingRelease {
    Tid tid = kNoTid;
    uint64_t serial = 0;
  };
  std::vector<PendingRelease> releaser_;
  void Claim(PendingRelease& p);
  std::unique_ptr<ThreadRegistry> threads_;
  std::unique_ptr<StackDepot> depot_;
};

}  // namespace pyrace::py
