#include "runtime/python/recorder.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "runtime/python/capi_bridge.h"
#include "runtime/python/stack_depot.h"
#include "runtime/python/test_context.h"
#include "runtime/python/threads.h"
#include "runtime/trace/trace.h"

namespace pyrace::py {

namespace {

// Every event carries a time, and a precise clock read costs about as much as the
// rest of recording a lock operation (60 ns in a VM), so events use the coarse clock
// when it ticks at least every 5 ms: the trace's order is exact anyway, the times
// are for timelines and for the watchdog's grace period.
clockid_t EventClock() {
  timespec res{};
  if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0 && res.tv_sec == 0 &&
      res.tv_nsec <= 5000000) {
    return CLOCK_MONOTONIC_COARSE;
  }
  return CLOCK_MONOTONIC;
}

const clockid_t kEventClock = EventClock();

uint64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(kEventClock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

Recorder& Recorder::Get() {
  // Never destroyed: daemon threads may still call in while the process exits.
  static Recorder* rec = new Recorder();
  return *rec;
}

Recorder::Recorder()
    : start_ns_(MonotonicNs()),
      threads_(std::make_unique<ThreadRegistry>()),
      depot_(std::make_unique<StackDepot>(options_.stack_depth)) {}

uint64_t Recorder::NowUs() const { return (MonotonicNs() - start_ns_) / 1000; }

bool Recorder::Start(const Options& options, const TraceHeader& header) {
  options_ = options;
  depot_ = std::make_unique<StackDepot>(options_.stack_depth);
  if (options_.trace_fd < 0) return true;
  fd_ = options_.trace_fd;
  if (fcntl(fd_, F_GETFD) < 0) {
    PyErr_Format(PyExc_OSError, "pyrace: trace_fd=%d is not an open file descriptor", fd_);
    return false;
  }
  // The program's own subprocesses must not keep the tool's pipe open.
  fcntl(fd_, F_SETFD, fcntl(fd_, F_GETFD) | FD_CLOEXEC);
  writer_ = new TraceWriter(fd_, header);
  header_ = header;
  // A forked child's trace needs every definition its inherited ids refer to.
  if (options_.follow_children && !options_.trace_socket.empty()) writer_->KeepDefinitions();
  depot_->set_writer(writer_);
  // The header goes out now: a program that execs or is killed before the first
  // periodic flush still leaves a trace the tool can read (with no events).
  writer_->Flush();
  return true;
}

void Recorder::Stop() {
  EndCapiRecording(*this);
  if (writer_ == nullptr) return;
  writer_->Flush();
  // Later events (daemon threads during finalization) go nowhere; the writer stays
  // allocated because one of them may be between its recording() check and Emit.
  depot_->set_writer(nullptr);
  writer_ = nullptr;
}

void Recorder::AbandonAfterFork() {
  if (writer_ == nullptr) return;
  abandoned_ = writer_;
  writer_ = nullptr;
  depot_->set_writer(nullptr);
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

bool Recorder::ContinueInForkedChild(int fd, uint32_t parent_pid) {
  TraceWriter* parent = abandoned_;
  abandoned_ = nullptr;
  // The child's trace starts with no accesses: none of the parent's may stand for one.
  last_publish_ = ++sync_serial_;
  if (parent == nullptr || fd < 0) {
    if (fd >= 0) close(fd);
    return false;
  }
  TraceHeader h = header_;
  h.pid = static_cast<uint32_t>(getpid());
  h.ppid = parent_pid;
  fd_ = fd;
  writer_ = parent->NewForChild(fd_, h);
  header_ = h;
  depot_->set_writer(writer_);
  writer_->Flush();
  return true;
}

bool Recorder::FlushFromSignal() { return writer_ == nullptr || writer_->Flush(); }

void Recorder::Flush() {
  DrainCapiPending(*this);  // the watchdog's periodic flush writes what C code queued
  if (writer_ != nullptr) writer_->Flush();
}

Tid Recorder::CurrentTid() { return threads_->Current()->tid; }

StackId Recorder::CaptureStack() { return depot_->CaptureCurrent(CurrentTest(*this)); }

StackId Recorder::CaptureStackFrom(PyFrameObject* top, const ThreadRec* thread) {
  return depot_->Capture(top, TestOf(*this, thread));
}

StrId Recorder::InternString(std::string_view s) { return depot_->Intern(s); }

StrId Recorder::DefineString(std::string_view s) { return depot_->DefineOnce(s); }

LocId Recorder::DefineLocation(const LocationInfo& info) {
  LocId id = next_loc_id_++;
  if (writer_ != nullptr) writer_->DefineLocation(id, info);
  return id;
}

void Recorder::Emit(EventKind kind, uint64_t obj, uint8_t flags, uint16_t aux, StackId stack) {
  EmitFor(threads_->Current()->tid, kind, obj, flags, aux, stack);
}

void Recorder::EmitFor(Tid tid, EventKind kind, uint64_t obj, uint8_t flags, uint16_t aux, StackId stack) {
  bool wrapped_lock = wrapped_lock_event_;
  wrapped_lock_event_ = false;
  DrainCapiPending(*this);
  if (writer_ == nullptr) return;
  if (kind != EventKind::kAccess) NoteSync(tid, kind, obj, flags, wrapped_lock);
  writer_->Emit(MakeEvent(kind, tid, obj, stack, EventTime(kind), flags, aux));
}

void Recorder::EmitWrappedLock(EventKind kind, LockId lock, uint8_t flags, StackId stack) {
  wrapped_lock_event_ = true;
  Emit(kind, lock, flags, 0, stack);
  wrapped_lock_event_ = false;
}

void Recorder::Claim(PendingRelease& p) {
  ThreadRec* r = threads_->Get(p.tid);
  p = PendingRelease{};
  if (r == nullptr) return;
  --r->unclaimed_live;
  auto stale = [&](const std::pair<LockId, uint64_t>& e) {
    return e.first >= releaser_.size() || releaser_[e.first].tid != r->tid || releaser_[e.first].serial != e.second;
  };
  while (!r->unclaimed.empty() && stale(r->unclaimed.back())) r->unclaimed.pop_back();
  // Claims out of order leave stale entries below the top: drop them once they are most.
  if (r->unclaimed.size() > 2 * static_cast<size_t>(r->unclaimed_live) + 16) std::erase_if(r->unclaimed, stale);
  r->unclaimed_max = r->unclaimed.empty() ? 0 : r->unclaimed.back().second;
}

void Recorder::ForgetLock(LockId lock) {
  if (lock < releaser_.size() && releaser_[lock].tid != kNoTid) Claim(releaser_[lock]);
}

void Recorder::NoteSync(Tid tid, EventKind kind, uint64_t obj, uint8_t flags, bool wrapped_lock) {
  uint64_t serial = ++sync_serial_;
  // Lock ids are dense (NextLockId); a table beyond this size would be mostly empty.
  constexpr uint64_t kMaxTracked = uint64_t{1} << 22;
  bool release = kind == EventKind::kLockRelease && !(flags & (kFlagError | kFlagFreed));
  ThreadRec* t = wrapped_lock && (release || kind == EventKind::kLockAcquired) && obj < kMaxTracked
                     ? threads_->Get(tid)
                     : nullptr;
  if (t == nullptr) {
    last_publish_ = serial;
    return;
  }
  if (releaser_.size() <= obj) releaser_.resize(obj + 1);
  PendingRelease& p = releaser_[obj];
  if (kind == EventKind::kLockAcquired) {
    if (p.tid == kNoTid) return;  // nobody's release to learn from (or the lock is new)
    if (p.tid != tid) last_publish_ = serial;  // tid learns the releaser's clock
    Claim(p);
    return;
  }
  // Another thread's release the lock still carried is overwritten: nobody learns it.
  if (p.tid != kNoTid) Claim(p);
  p = PendingRelease{tid, serial};
  t->unclaimed.emplace_back(static_cast<LockId>(obj), serial);
  ++t->unclaimed_live;
  t->unclaimed_max = serial;
}

// Accesses come by the million and nothing reads their times but timelines, so they
// reuse the last clock reading, refreshed every 64 of them (a clock read is ~5% of
// recording one). Every other event reads the clock.
uint64_t Recorder::EventTime(EventKind kind) {
  if (kind != EventKind::kAccess || (++accesses_since_clock_ & 63) == 0) last_time_us_ = NowUs();
  return last_time_us_;
}

}  // namespace pyrace::py
