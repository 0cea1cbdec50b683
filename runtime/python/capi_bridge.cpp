#include "runtime/python/capi_bridge.h"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/capi/capi_table.h"
#include "runtime/python/c_wait_record.h"
#include "runtime/python/recorder.h"
#include "runtime/python/stack_depot.h"
#include "runtime/python/threads.h"
#include "runtime/trace/trace.h"

namespace pyrace::py {

namespace capi_detail {
std::atomic<bool> g_pending{false};

// A thread pyrace has no record for (started by C code, never ran Python): it gets
// one when its first queued event is written, and that record becomes the thread's
// own once it holds the GIL, so its C and Python events share one Tid.
struct CThread {
  ThreadRec* rec = nullptr;
};
}  // namespace capi_detail

namespace {

using capi_detail::CThread;

enum class Op : uint8_t {
  kNoGilRefcount,
  kNoGilApiCall,
  kGilRelease,
  kMutexCreate,
  kMutexDestroy,
  kMutexAcquired,
  kMutexTryFailed,
  kMutexRelease,
};

struct Pending {
  Op op{};
  uint8_t flags = 0;
  const PyraceCSite* site = nullptr;  // static data of the instrumented extension
  void* lock = nullptr;
  ThreadRec* rec = nullptr;  // the thread, when pyrace knows it
  CThread* cthread = nullptr;  // otherwise
  uint64_t interval = 0;       // the thread's GIL-free interval (see t_interval)
};

// Preallocated and bounded: a full buffer drops (and counts) events rather than
// growing inside a hook or blocking C code that may hold its own locks.
constexpr size_t kPendingCapacity = 2048;
constexpr size_t kPendingReserved = kPendingCapacity * 3 / 4;  // the rest: releases only
std::mutex g_mu;
std::array<Pending, kPendingCapacity> g_queue;
size_t g_queued = 0;
std::array<Pending, kPendingCapacity> g_draining;  // GIL: only the drainer uses it
std::atomic<uint64_t> g_dropped{0};
uint64_t g_dropped_reported = 0;

// Counts this thread's instrumented GIL releases. A queued event's Python stack is
// only known when it is written by the same thread, under the GIL it got back at the
// end of that same GIL-free interval: the thread has run no Python code in between.
thread_local uint64_t t_interval = 0;
thread_local CThread* t_cthread = nullptr;

// Set when this thread's instrumented GIL acquire had to wait, i.e. it ends a
// GIL-free interval rather than nesting in a held GIL.
thread_local bool t_waited = false;

// Set (GIL held) while a thread's instrumented GIL acquire drains the buffer.
Tid g_stack_tid = kNoTid;
uint64_t g_stack_interval = 0;
bool g_in_drain = false;

// GIL-protected state of the written events.
Tid g_gil_holder = kNoTid;  // the thread the trace says holds the GIL
bool g_gil_created = false;
std::unordered_map<void*, LockId> g_locks;  // live C mutexes by address
struct SiteInfo {
  Frame frame;
  uint16_t what = 0;  // StrId of the operation ("Py_DECREF"), 0 when it does not fit
};
std::unordered_map<const PyraceCSite*, SiteInfo> g_sites;
uint64_t g_cthreads = 0;

// Leaked on purpose: queued events and the wait record may outlive the thread.
CThread* ThisCThread() {
  if (t_cthread == nullptr) t_cthread = new CThread();
  return t_cthread;
}

// A lost release would leave a lock held in the trace (false lock-order edges); a
// lost acquire costs nothing worse than a missed report. So the last part of the
// buffer only takes releases.
bool IsRelease(Op op) { return op == Op::kMutexRelease || op == Op::kGilRelease; }

void Queue(Op op, const PyraceCSite& site, void* lock = nullptr, uint8_t flags = 0) {
  Pending p;
  p.op = op;
  p.flags = flags;
  p.site = &site;
  p.lock = lock;
  p.interval = t_interval;
  p.rec = Recorder::Get().threads().CurrentOrNull();  // a thread_local read: no GIL needed
  if (p.rec == nullptr) p.cthread = ThisCThread();
  std::lock_guard<std::mutex> guard(g_mu);
  if (g_queued >= (IsRelease(op) ? kPendingCapacity : kPendingReserved)) {
    g_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  g_queue[g_queued++] = p;
  capi_detail::g_pending.store(true, std::memory_order_release);
}

// GIL held from here on.

ThreadRec* RecordOf(Recorder& rec, CThread* c) {
  if (c->rec == nullptr) {
    ThreadRec* t = rec.threads().Create("C-thread-" + std::to_string(++g_cthreads), /*daemon=*/true);
    if (TraceWriter* w = rec.writer()) {
      ThreadInfo info;
      info.name = rec.InternString(t->name);
      w->DefineThread(t->tid, info);
    }
    c->rec = t;
  }
  return c->rec;
}

Tid TidOf(Recorder& rec, const Pending& p) {
  return p.rec != nullptr ? p.rec->tid : RecordOf(rec, p.cthread)->tid;
}

// The calling thread (GIL held). A C thread that queued events before it first held
// the GIL takes the record those events have (or will have) as its own.
Tid CurrentTid(Recorder& rec) {
  ThreadRegistry& threads = rec.threads();
  if (threads.CurrentOrNull() == nullptr && t_cthread != nullptr) threads.Attach(RecordOf(rec, t_cthread));
  return threads.Current()->tid;
}

// kGilNotHeld's aux names the operation by StrId, as the event has no other free
// field; ids past 16 bits (programs with that many strings) fall back to
// "refcount change" / "C-API call" in the report.
const SiteInfo& Site(Recorder& rec, const PyraceCSite* site) {
  auto [it, inserted] = g_sites.try_emplace(site);
  if (inserted) {
    SiteInfo& info = it->second;
    info.frame.file = rec.InternString(site->file != nullptr ? site->file : "");
    info.frame.function = rec.InternString(site->function != nullptr ? site->function : "");
    info.frame.line = site->line;
    StrId what = site->what != nullptr ? rec.InternString(site->what) : 0;
    info.what = what <= UINT16_MAX ? static_cast<uint16_t>(what) : 0;
  }
  return it->second;
}

// The C call site as the top frame, above the thread's Python stack when known.
StackId CStack(Recorder& rec, const PyraceCSite* site, StackId python) {
  std::vector<Frame> frames{Site(rec, site).frame};
  for (const Frame& f : rec.depot().FramesOf(python)) frames.push_back(f);
  return rec.depot().DefineFrames(std::move(frames));
}

// The GIL is lock 0; its kind tells the analysis that it is an edge source for C
// mutexes only (a Python lock's acquire lets the GIL go while it waits). It has no
// creation site worth showing.
void EnsureGilCreated(Recorder& rec, Tid tid) {
  if (g_gil_created) return;
  g_gil_created = true;
  rec.EmitFor(tid, EventKind::kLockCreate, kGilLock, 0, static_cast<uint16_t>(LockKind::kGil));
}

// Only releases of a hold the trace shows: a release of a lock held by another
// thread would read as a signal (hand-off) to the analysis.
void RecordGilRelease(Recorder& rec, Tid tid, StackId stack) {
  if (g_gil_holder != tid) return;
  g_gil_holder = kNoTid;
  rec.EmitFor(tid, EventKind::kLockRelease, kGilLock, 0, 0, stack);
}

// Threads running Python hold the GIL without any instrumented acquire: the first
// C event that shows the hold records it.
void RecordGilHeld(Recorder& rec, Tid tid, StackId stack) {
  if (g_gil_holder == tid) return;
  EnsureGilCreated(rec, tid);
  g_gil_holder = tid;
  rec.EmitFor(tid, EventKind::kLockAcquired, kGilLock, 0, 0, stack);
}

LockId CreateMutex(Recorder& rec, void* lock, Tid tid, StackId stack) {
  LockId id = rec.NextLockId();
  g_locks[lock] = id;
  rec.EmitFor(tid, EventKind::kLockCreate, id, 0, static_cast<uint16_t>(LockKind::kCMutex), stack);
  return id;
}

// Statically initialised mutexes (PTHREAD_MUTEX_INITIALIZER) have no create call:
// known from their first use, they get no creation site, which also keeps them
// apart in the lock-order graph's class view (keyed by creation stack).
LockId MutexId(Recorder& rec, void* lock, Tid tid) {
  auto it = g_locks.find(lock);
  return it != g_locks.end() ? it->second : CreateMutex(rec, lock, tid, kNoStack);
}

// One C event of thread `tid` at the C site, with `stack` its full stack. `gil`:
// whether the thread held the GIL at the time.
void Record(Recorder& rec, Op op, const PyraceCSite* site, Tid tid, void* lock, uint8_t flags,
            StackId stack, bool gil) {
  if (gil) {
    RecordGilHeld(rec, tid, stack);
  } else if (op != Op::kGilRelease) {
    RecordGilRelease(rec, tid, stack);
  }
  switch (op) {
    case Op::kNoGilRefcount:
      rec.EmitFor(tid, EventKind::kGilNotHeld, 0, 0, Site(rec, site).what, stack);
      break;
    case Op::kNoGilApiCall:
      rec.EmitFor(tid, EventKind::kGilNotHeld, 1, 0, Site(rec, site).what, stack);
      break;
    case Op::kGilRelease:
      RecordGilRelease(rec, tid, stack);
      break;
    case Op::kMutexCreate:
      CreateMutex(rec, lock, tid, stack);
      break;
    case Op::kMutexDestroy:
      g_locks.erase(lock);  // the address may be reused by a new mutex
      break;
    case Op::kMutexAcquired:
      rec.EmitFor(tid, EventKind::kLockAcquired, MutexId(rec, lock, tid), flags, 0, stack);
      break;
    case Op::kMutexTryFailed:
      rec.EmitFor(tid, EventKind::kLockTryFailed, MutexId(rec, lock, tid), kFlagTry, 0, stack);
      break;
    case Op::kMutexRelease:
      rec.EmitFor(tid, EventKind::kLockRelease, MutexId(rec, lock, tid), 0, 0, stack);
      break;
  }
}

void WritePending(Recorder& rec, const Pending& p) {
  Tid tid = TidOf(rec, p);
  StackId python = kNoStack;
  if (tid == g_stack_tid && p.interval == g_stack_interval) python = rec.CaptureStack();
  Record(rec, p.op, p.site, tid, p.lock, p.flags, CStack(rec, p.site, python), /*gil=*/false);
}

void ReportDrops() {
  uint64_t dropped = g_dropped.load(std::memory_order_relaxed);
  if (dropped == g_dropped_reported) return;
  g_dropped_reported = dropped;
  static const char kNote[] = "pyrace: C extension events dropped (pending buffer full)\n";
  ssize_t ignored = write(2, kNote, sizeof(kNote) - 1);
  (void)ignored;
}

// The stack a blocking C lock call's pre-lock hook captured with the GIL held: its
// post-lock event reuses it (no Python ran in between).
thread_local const PyraceCSite* t_prelock_site = nullptr;
thread_local StackId t_prelock_stack = kNoStack;

StackId PreLockStack(const PyraceCSite& site) {
  Recorder& rec = Recorder::Get();
  t_prelock_site = &site;
  t_prelock_stack = CStack(rec, &site, rec.CaptureStack());
  return t_prelock_stack;
}

// A hook called with the GIL: earlier queued events first, then this one.
void Direct(Op op, const PyraceCSite& site, void* lock = nullptr, uint8_t flags = 0) {
  Recorder& rec = Recorder::Get();
  DrainCapiPending(rec);
  Tid tid = CurrentTid(rec);
  bool after_prelock = (op == Op::kMutexAcquired || op == Op::kMutexTryFailed) && t_prelock_site == &site;
  StackId stack = after_prelock ? t_prelock_stack : CStack(rec, &site, rec.CaptureStack());
  t_prelock_site = nullptr;
  Record(rec, op, &site, tid, lock, flags, stack, /*gil=*/true);
}

// PyGILState_Check() with the GIL state API still alive: 3.11 deletes its key during
// finalization, after which PyGILState_Check() answers "held" on every thread, and an
// extension's daemon C thread that keeps locking would capture a Python stack and
// abort in PyThreadState_Get().
int GilHeld() {
  if (PyGILState_GetThisThreadState() == nullptr) return 0;
  return PyGILState_Check();
}

void Route(Op op, const PyraceCSite& site, void* lock = nullptr, uint8_t flags = 0) {
  if (GilHeld()) {
    Direct(op, site, lock, flags);
  } else {
    Queue(op, site, lock, flags);
  }
}

class BridgeSink final : public capi::CapiSink {
 public:
  void GilNotHeld(const PyraceCSite& site, bool refcount) override {
    Queue(refcount ? Op::kNoGilRefcount : Op::kNoGilApiCall, site);
  }
  void GilReleased(const PyraceCSite& site) override {
    ++t_interval;
    Queue(Op::kGilRelease, site);
  }
  // The table calls this only when the thread does not hold the GIL.
  void GilWaiting(const PyraceCSite& site) override {
    t_waited = true;
    EnterWait(CWait::kGil, site, nullptr, /*holds_gil=*/false, kNoStack);
  }
  void GilAcquired(const PyraceCSite& site) override {
    LeaveWait(nullptr);
    Recorder& rec = Recorder::Get();
    Tid tid = CurrentTid(rec);  // adopts a C thread's record before its events are written
    if (t_waited) {
      t_waited = false;
      g_stack_tid = tid;
      g_stack_interval = t_interval;
    }
    DrainCapiPending(rec);
    g_stack_tid = kNoTid;
    RecordGilHeld(rec, tid, CStack(rec, &site, rec.CaptureStack()));
  }
  void MutexCreated(const PyraceCSite& site, void* lock) override { Route(Op::kMutexCreate, site, lock); }
  void MutexDestroyed(const PyraceCSite& site, void* lock) override {
    Released(lock);
    Route(Op::kMutexDestroy, site, lock);
  }
  // Only blocking waits can be stuck; a try or timed attempt ends by itself.
  void MutexWaiting(const PyraceCSite& site, void* lock, bool try_lock) override {
    if (try_lock || !TrackedWait(site)) return;
    bool gil = GilHeld() != 0;
    StackId stack = gil ? PreLockStack(site) : kNoStack;
    EnterWait(CWait::kMutex, site, lock, gil && !LetsGilGoWhileWaiting(site), stack);
  }
  void MutexAcquired(const PyraceCSite& site, void* lock, bool try_lock) override {
    if (TrackedWait(site)) LeaveWait(lock);
    Route(Op::kMutexAcquired, site, lock, try_lock ? kFlagTry : 0);
  }
  void MutexTryFailed(const PyraceCSite& site, void* lock) override {
    if (TrackedWait(site)) LeaveWait(nullptr);
    Route(Op::kMutexTryFailed, site, lock);
  }
  void MutexReleasing(const PyraceCSite& site, void* lock) override {
    if (TrackedWait(site)) Released(lock);
    Route(Op::kMutexRelease, site, lock);
  }
};

}  // namespace

namespace capi_detail {

void Drain(Recorder& rec) {
  if (g_in_drain) return;  // Emit below comes back here
  g_in_drain = true;
  size_t n;
  {
    std::lock_guard<std::mutex> guard(g_mu);
    n = g_queued;
    std::copy(g_queue.begin(), g_queue.begin() + static_cast<std::ptrdiff_t>(n), g_draining.begin());
    g_queued = 0;
    g_pending.store(false, std::memory_order_release);
  }
  for (size_t i = 0; i < n; ++i) WritePending(rec, g_draining[i]);
  ReportDrops();
  g_in_drain = false;
}

CThread* OwnCThread() { return ThisCThread(); }
int GilHeldByThisThread() { return GilHeld(); }
Tid CThreadTid(Recorder& rec, CThread* c) { return RecordOf(rec, c)->tid; }
LockId CMutexId(Recorder& rec, void* lock, Tid tid) { return MutexId(rec, lock, tid); }
StackId CSiteStack(Recorder& rec, const PyraceCSite* site, StackId python) { return CStack(rec, site, python); }
Tid TraceGilHolder() { return g_gil_holder; }
void TraceGilRelease(Recorder& rec, Tid tid, StackId stack) { RecordGilRelease(rec, tid, stack); }
void TraceGilHeld(Recorder& rec, Tid tid, StackId stack) { RecordGilHeld(rec, tid, stack); }

}  // namespace capi_detail

void EndCapiRecording(Recorder& rec) {
  DrainCapiPending(rec);
  if (g_gil_holder != kNoTid) RecordGilRelease(rec, g_gil_holder, kNoStack);
}

uint64_t CapiDroppedEvents() { return g_dropped.load(std::memory_order_relaxed); }

namespace {

// A fork while another thread holds g_mu (or the wait record's mutex) would leave the
// child's hooks blocked forever: the forking thread holds both across fork, the wait
// record's first. The child does not write the parent's queued events (its recorder
// abandons the parent's trace).
void LockBeforeFork() {
  LockWaitRecordBeforeFork();
  g_mu.lock();
}
void UnlockInParent() {
  g_mu.unlock();
  UnlockWaitRecordInParent();
}
void ResetInChild() {
  g_queued = 0;
  capi_detail::g_pending.store(false, std::memory_order_relaxed);
  g_mu.unlock();
  ResetWaitRecordInChild();
}

}  // namespace

bool InitCapiBridge(PyObject* module) {
  static BridgeSink sink;
  static bool at_fork = pthread_atfork(&LockBeforeFork, &UnlockInParent, &ResetInChild) == 0;
  (void)at_fork;
  // The table asks on every refcount change and C-API call: the bare check there (the
  // extra thread-state lookup cost 0.15x of the call-heavy benchmark). At exit it can only
  // miss a report; the bridge's own decisions, which capture stacks, use the full one.
  capi::Install(&sink, &PyGILState_Check);
  PyObject* capsule =
      PyCapsule_New(const_cast<PyraceCapiTable*>(capi::Table()), PYRACE_CAPI_CAPSULE, nullptr);
  if (capsule == nullptr) return false;
  if (PyModule_AddObject(module, "_capi", capsule) < 0) {
    Py_DECREF(capsule);
    return false;
  }
  return true;
}

}  // namespace pyrace::py
