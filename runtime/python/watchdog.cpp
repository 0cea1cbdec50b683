#include "runtime/python/watchdog.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <initializer_list>
#include <atomic>
#include <cerrno>
#include <set>
#include <tuple>
#include <vector>

#include "runtime/analysis/wait_for.h"
#include "runtime/python/asyncio_hooks.h"
#include "runtime/python/capi_bridge.h"
#include "runtime/python/c_wait_record.h"
#include "runtime/python/lock_types.h"
#include "runtime/python/py_compat.h"
#include "runtime/python/recorder.h"
#include "runtime/python/runtime_thread.h"
#include "runtime/python/threads.h"

namespace pyrace::py {

namespace {

constexpr int kFlushMs = 100;

RuntimeThread g_thread;
std::atomic<bool> g_running{false};
std::atomic<bool> g_stop{false};
pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t g_cv;
uint64_t g_last_check_us = 0;
// Deadlocks already reported (on_deadlock=continue): the stuck waits' identities.
std::set<std::vector<std::tuple<Tid, int, uint64_t>>> g_reported;

unsigned long ThreadIdOf(PyThreadState* ts) {
#if PY_VERSION_HEX >= 0x030D0000
  return static_cast<unsigned long>(ts->thread_id);
#else
  return ts->thread_id;
#endif
}

// Live Python threads that are neither registered nor the runtime's own.
int CountUnknownThreads(const std::vector<unsigned long>& known) {
  PyThreadState* self = PyThreadState_Get();
  int n = 0;
  for (PyThreadState* ts = PyInterpreterState_ThreadHead(PyThreadState_GetInterpreter(self));
       ts != nullptr; ts = PyThreadState_Next(ts)) {
    if (ts == self || IsRuntimeThreadState(ts)) continue;
    if (std::find(known.begin(), known.end(), ThreadIdOf(ts)) == known.end()) ++n;
  }
  return n;
}

// The wait states the wrappers keep, for every live thread. `known` gets the idents
// of the threads with a thread state.
void AddPythonWaits(Recorder& rec, wait_for::Snapshot& snap, std::vector<unsigned long>& known) {
  for (const auto& t : rec.threads().all()) {
    if (!t->alive) continue;
    if (t->tstate != nullptr) known.push_back(t->ident);
    wait_for::ThreadSnapshot s;
    s.tid = t->tid;
    s.daemon = t->daemon;
    s.waiting = t->wait.active;
    s.kind = t->wait.kind;
    s.obj = t->wait.obj;
    s.timed = t->wait.timed;
    s.since_us = t->wait.since_us;
    snap.threads.push_back(s);
    if (t->wait.active && t->wait.kind == WaitKind::kLock && t->wait.lock != nullptr) {
      LockObject* l = t->wait.lock;
      wait_for::LockSnapshot ls;
      ls.id = l->id;
      ls.kind = l->kind;
      ls.held = l->locked && l->holder != nullptr;
      ls.holder = l->holder != nullptr ? l->holder->tid : kNoTid;
      snap.locks.push_back(ls);
    }
  }
}

wait_for::Snapshot TakeSnapshot(Recorder& rec) {
  wait_for::Snapshot snap;
  snap.now_us = rec.NowUs();
  std::vector<unsigned long> known;
  AddPythonWaits(rec, snap, known);
  // Waits in instrumented C code too (a thread blocked on a C mutex after letting the
  // GIL go), so a cycle through a C mutex and a Python lock is seen. The GIL itself is
  // the watchdog's now, so no one is stuck waiting for it.
  AddCWaits(rec, snap);
  AddEventLoopWaits(rec, snap);
  snap.unknown_running = CountUnknownThreads(known);
  return snap;
}

StackId StackOfThread(Recorder& rec, ThreadRec* t) {
  if (t->tstate == nullptr) return kNoStack;
  PyFrameObject* top = PyThreadState_GetFrame(t->tstate);
  StackId s = rec.CaptureStackFrom(top, t);
  Py_XDECREF(top);
  return s;
}

struct StuckWait {
  Tid tid;
  WaitKind kind;
  uint64_t obj;
  StackId stack;  // where it waits
};

// What each stuck thread waits on: its wait in instrumented C code (a C mutex, the
// GIL), else the one the wrappers keep; for an idle event loop's thread, its own wait
// and its tasks'.
std::vector<StuckWait> StuckWaits(Recorder& rec, const wait_for::Verdict& v) {
  std::vector<StuckWait> waits;
  for (Tid tid : v.stuck) {
    std::vector<LoopWait> loop_waits;
    if (IdleLoopWaits(rec, tid, &loop_waits)) {
      for (const LoopWait& lw : loop_waits) waits.push_back(StuckWait{lw.tid, lw.kind, lw.obj, lw.stack});
      continue;
    }
    StuckWait w{tid, WaitKind::kLock, 0, kNoStack};
    if (!CWaitOf(rec, tid, &w.obj, &w.stack)) {
      if (const ThreadRec* t = rec.threads().Get(tid)) {
        w.kind = t->wait.kind;
        w.obj = t->wait.obj;
        w.stack = t->wait.stack;
      }
    }
    waits.push_back(w);
  }
  return waits;
}

void EmitWaits(Recorder& rec, const wait_for::Verdict& v, const std::vector<StuckWait>& waits) {
  EndGilHoldOfWaiters(rec, v.stuck);
  rec.EmitFor(v.stuck.front(), EventKind::kDeadlockBegin, static_cast<uint64_t>(v.reason), 0,
              static_cast<uint16_t>(waits.size()));
  for (const StuckWait& w : waits) {
    rec.EmitFor(w.tid, EventKind::kDeadlockWait, w.obj, 0, static_cast<uint16_t>(w.kind), w.stack);
  }
}

// The kDeadlock* group: the stuck threads' waits, then every other live thread.
void RecordDeadlock(Recorder& rec, const wait_for::Verdict& v, const std::vector<StuckWait>& waits) {
  EmitWaits(rec, v, waits);
  // By index: capturing a stack may run a finalizer that registers a new thread.
  const auto& all = rec.threads().all();
  for (size_t i = 0; i < all.size(); ++i) {
    ThreadRec* t = all[i].get();
    if (!t->alive || std::find(v.stuck.begin(), v.stuck.end(), t->tid) != v.stuck.end()) continue;
    rec.EmitFor(t->tid, EventKind::kThreadStack, 0, 0, 0, StackOfThread(rec, t));
  }
  rec.EmitFor(v.stuck.front(), EventKind::kDeadlockEnd, 0);
  rec.Flush();
}

bool AlreadyReported(const std::vector<StuckWait>& waits) {
  std::vector<std::tuple<Tid, int, uint64_t>> key;
  for (const StuckWait& w : waits) key.emplace_back(w.tid, static_cast<int>(w.kind), w.obj);
  std::sort(key.begin(), key.end());
  return !g_reported.insert(key).second;
}

// What the program printed so far must not die in its stdio buffers with _exit.
// The stuck threads wait in lock wrappers, never inside a write, so the buffer locks
// are free or about to be.
void FlushStdio() {
  for (const char* name : {"stdout", "stderr"}) {
    PyObject* f = PySys_GetObject(name);  // borrowed
    PyObject* r = f != nullptr && f != Py_None ? PyObject_CallMethod(f, "flush", nullptr) : nullptr;
    Py_XDECREF(r);
    PyErr_Clear();
  }
}

void Check(Recorder& rec) {
  const Options& o = rec.options();
  wait_for::Verdict v =
      wait_for::Analyze(TakeSnapshot(rec), static_cast<uint64_t>(o.deadlock_grace_ms) * 1000);
  if (!v.deadlock()) return;
  std::vector<StuckWait> waits = StuckWaits(rec, v);
  if (AlreadyReported(waits)) return;
  RecordDeadlock(rec, v, waits);
  if (o.on_deadlock == OnDeadlock::kContinue) return;
  FlushStdio();
  static const char kNote[] = "pyrace: deadlock detected, ending the run; see the report\n";
  ssize_t ignored = write(2, kNote, sizeof(kNote) - 1);
  (void)ignored;
  _exit(o.exitcode);
}

// --- The GIL monitor --------------------------------------------------------------
// The watchdog needs the GIL; a GIL-vs-C-mutex hang keeps it from ever getting it (the
// GIL's holder is blocked in C on a mutex whose holder waits for the GIL). A second
// native thread, which never takes the GIL, watches how long the watchdog has been
// waiting for it and then decides from the C-level waits the capi bridge keeps.

std::atomic<uint64_t> g_gil_wait_since_us{0};  // NowUs()+1 while Tick waits for the GIL
RuntimeThread g_monitor;
bool g_monitor_running = false;

// The kDeadlock* group of a hang found without the GIL. Unlike RecordDeadlock it has
// no kThreadStack for the other threads: walking their frames could create frame
// objects, which needs the interpreter.
void RecordCDeadlock(Recorder& rec, const wait_for::Verdict& v, const std::vector<StuckWait>& waits) {
  EmitWaits(rec, v, waits);
  rec.EmitFor(v.stuck.front(), EventKind::kDeadlockEnd, 0);
  rec.Flush();
}

// Runs frozen: between FreezeCWaits and ThawCWaits this thread has the recorder to
// itself without the GIL. That is only safe because every thread that could write
// is stuck: writing needs the GIL, the GIL's holder is blocked in its C mutex wait,
// and a thread leaving a C wait with the GIL parks in the bridge's hook until the
// thaw (or the _exit below). The Python-level wait states read here only change
// under the GIL, which nobody else has had since the holder blocked.
void CheckGilHang(Recorder& rec) {
  const Options& o = rec.options();
  uint64_t grace_us = static_cast<uint64_t>(o.deadlock_grace_ms) * 1000;
  if (!FreezeCWaits(rec.NowUs(), grace_us)) return;
  wait_for::Snapshot snap;
  snap.now_us = rec.NowUs();
  std::vector<unsigned long> known;
  AddPythonWaits(rec, snap, known);
  AddCWaits(rec, snap);
  // Python threads the runtime does not know cannot be listed without the GIL, so
  // "every other thread is stuck" is never assumed here: only cycles (and waits no
  // one else could end) are reported.
  snap.unknown_running = 1;
  wait_for::Verdict v = wait_for::Analyze(snap, grace_us);
  if (v.deadlock()) {
    std::vector<StuckWait> waits = StuckWaits(rec, v);
    if (!AlreadyReported(waits)) {
      RecordCDeadlock(rec, v, waits);
      if (o.on_deadlock != OnDeadlock::kContinue) {
        // sys.stdout cannot be flushed without the GIL: what the program printed to a
        // pipe and left in Python's buffers is lost.
        static const char kNote[] =
            "pyrace: deadlock detected (the GIL and a C lock), ending the run; see the report\n";
        ssize_t ignored = write(2, kNote, sizeof(kNote) - 1);
        (void)ignored;
        _exit(o.exitcode);
      }
    }
  }
  ThawCWaits();
}

void MonitorTick() {
  uint64_t since = g_gil_wait_since_us.load(std::memory_order_acquire);
  if (since == 0) return;
  Recorder& rec = Recorder::Get();
  uint64_t grace_us = static_cast<uint64_t>(rec.options().deadlock_grace_ms) * 1000;
  if (rec.NowUs() + 1 - since >= grace_us) CheckGilHang(rec);
}

// Runs tick every period_ms until Stop(); the wait is on g_cv so Stop() ends it at once.
void RunEvery(int period_ms, void (*tick)()) {
  pthread_mutex_lock(&g_mu);
  while (!g_stop.load()) {
    timespec deadline{};
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_nsec += static_cast<long>(period_ms) * 1000000L;
    deadline.tv_sec += deadline.tv_nsec / 1000000000L;
    deadline.tv_nsec %= 1000000000L;
    int rc = 0;
    while (!g_stop.load() && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&g_cv, &g_mu, &deadline);
    if (g_stop.load()) break;
    pthread_mutex_unlock(&g_mu);
    tick();
    pthread_mutex_lock(&g_mu);
  }
  pthread_mutex_unlock(&g_mu);
}

void* MonitorMain(void*) {
  RunEvery(kFlushMs, MonitorTick);
  return nullptr;
}

void Tick() {
  // Past the start of finalization the GIL ends the thread; the thread state may be gone.
  if (IsFinalizing()) return;
  g_gil_wait_since_us.store(Recorder::Get().NowUs() + 1, std::memory_order_release);
  PyGILState_STATE gil = PyGILState_Ensure();
  g_gil_wait_since_us.store(0, std::memory_order_release);
  Recorder& rec = Recorder::Get();
  if (!g_stop.load() && !IsFinalizing()) {
    rec.Flush();
    int interval = std::max(1, rec.options().watchdog_interval_ms);
    uint64_t now = rec.NowUs();
    if (now - g_last_check_us >= static_cast<uint64_t>(interval) * 1000) {
      g_last_check_us = now;
      Check(rec);
    }
  }
  PyGILState_Release(gil);
}

// The thread has one thread state for its life (runtime_thread.h), so that a tick
// allocates none: one made and freed per tick is a raw allocation without the GIL
// every tick, and 3.12.1's tracemalloc.stop() racing such an allocation crashes the
// interpreter (test_tracemalloc). It holds no frame: sys._current_frames() and
// threading do not list it.
void* Main(void*) {
  int interval = std::max(1, Recorder::Get().options().watchdog_interval_ms);
  RunEvery(std::min(kFlushMs, interval), Tick);
  return nullptr;
}

// Forks under way that paused the watchdog (threads forking at once), and whether it
// ran before the first of them: it runs again when the last one is done, so that no
// fork happens with it running. Under a RuntimeThreadsGuard.
int g_fork_pauses = 0;
bool g_resume_after_forks = false;

void Start() {
  if (g_running.load()) return;
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&g_cv, &attr);
  pthread_condattr_destroy(&attr);
  g_stop.store(false);
  g_last_check_us = Recorder::Get().NowUs();
  g_gil_wait_since_us.store(0);
  if (StartRuntimeThread(g_thread, Main, PythonAccess::kWithThreadState)) g_running.store(true);
  g_monitor_running = g_running.load() && StartRuntimeThread(g_monitor, MonitorMain, PythonAccess::kNone);
}

void Stop(bool for_good) {
  StopLoopWatcher(for_good);
  if (!g_running.load()) return;
  pthread_mutex_lock(&g_mu);
  g_stop.store(true);
  pthread_cond_broadcast(&g_cv);  // the watchdog and the monitor
  pthread_mutex_unlock(&g_mu);
  // It may be waiting for the GIL we hold.
  Py_BEGIN_ALLOW_THREADS
  JoinRuntimeThread(g_thread);
  if (g_monitor_running) JoinRuntimeThread(g_monitor);
  Py_END_ALLOW_THREADS
  g_monitor_running = false;
  g_running.store(false);
}

}  // namespace

void StartWatchdog() {
  RuntimeThreadsGuard guard;
  Start();
}

void StopWatchdog() {
  RuntimeThreadsGuard guard;
  Stop(/*for_good=*/true);
}

void PauseWatchdogForFork() {
  RuntimeThreadsGuard guard;
  if (g_fork_pauses++ > 0) return;
  g_resume_after_forks = g_running.load();
  Stop(/*for_good=*/false);
}

void ResumeWatchdogAfterFork() {
  RuntimeThreadsGuard guard;
  if (g_fork_pauses == 0 || --g_fork_pauses > 0) return;
  if (g_resume_after_forks) Start();
  g_resume_after_forks = false;
  ResumeLoopWatcher();
}

bool WatchdogRunning() { return g_running.load(); }

void ForgetWatchdogAfterFork() {
  ForgetLoopWatcherAfterFork();
  ForgetRuntimeThreadsAfterFork();
  g_monitor_running = false;
  g_running.store(false);
  g_stop.store(true);
  g_fork_pauses = 0;
  g_resume_after_forks = false;
  // A thread of the parent's may have held it (a C fork the hooks did not see).
  g_mu = PTHREAD_MUTEX_INITIALIZER;
}

}  // namespace pyrace::py
