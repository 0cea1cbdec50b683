#include "runtime/python/c_wait_record.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/python/capi_bridge.h"
#include "runtime/python/recorder.h"
#include "runtime/python/threads.h"

namespace pyrace::py {

using capi_detail::CMutexId;
using capi_detail::CSiteStack;
using capi_detail::CThread;
using capi_detail::CThreadTid;
using capi_detail::GilHeldByThisThread;
using capi_detail::OwnCThread;
using capi_detail::TraceGilHeld;
using capi_detail::TraceGilHolder;
using capi_detail::TraceGilRelease;

namespace {

// One per native thread that reached a lock or GIL hook. Leaked on purpose: the
// monitor may read it after the thread ended.
struct NativeThread {
  ThreadRec* rec = nullptr;    // pyrace's record of the thread, when it has one
  CThread* cthread = nullptr;  // otherwise
  bool alive = true;
  CWait wait = CWait::kNone;
  void* lock = nullptr;  // kMutex: its address
  const PyraceCSite* site = nullptr;
  uint64_t since_us = 0;
  bool holds_gil = false;    // blocked on the C mutex with the GIL held
  StackId stack = kNoStack;  // C site + Python stack, when it had the GIL at the pre-lock
};

struct WaitRecord {
  std::mutex mu;  // not the GIL: C threads take it without one. Taken before the queue's.
  std::vector<NativeThread*> natives;
  std::unordered_map<void*, NativeThread*> holders;  // C mutex address -> holder
  bool frozen = false;
  std::condition_variable thaw;
};

// Never destroyed: daemon C threads may still call hooks while the process exits.
WaitRecord& W() {
  static WaitRecord* w = new WaitRecord();
  return *w;
}

thread_local NativeThread* t_native = nullptr;

struct NativeExit {
  bool armed = false;
  ~NativeExit() {
    if (!armed || t_native == nullptr) return;
    std::lock_guard<std::mutex> guard(W().mu);
    t_native->alive = false;
  }
};
thread_local NativeExit t_native_exit;

NativeThread* Native() {
  if (t_native != nullptr) return t_native;
  t_native_exit.armed = true;  // its first use registers the destructor for thread exit
  auto* n = new NativeThread();
  std::lock_guard<std::mutex> guard(W().mu);
  W().natives.push_back(n);
  t_native = n;
  return n;
}

// W().mu held. A C thread's record becomes its pyrace record once it runs Python.
void BindIdentity(NativeThread* n) {
  if (ThreadRec* r = Recorder::Get().threads().CurrentOrNull()) {
    n->rec = r;
  } else if (n->rec == nullptr) {
    n->cthread = OwnCThread();
  }
}

}  // namespace

// A read-write lock has many holders, which one holder per lock cannot say: its
// waits are left out of the graph (never stuck).
bool TrackedWait(const PyraceCSite& site) {
  return site.what == nullptr || std::strncmp(site.what, "pthread_rwlock", 14) != 0;
}

// PyMutex_Lock (3.13) detaches the thread state, letting the GIL go, when it has to wait.
bool LetsGilGoWhileWaiting(const PyraceCSite& site) {
  return site.what != nullptr &&
         (std::strcmp(site.what, "PyMutex_Lock") == 0 || std::strcmp(site.what, "_PyMutex_Lock") == 0);
}

void EnterWait(CWait kind, const PyraceCSite& site, void* lock, bool holds_gil, StackId stack) {
  NativeThread* n = Native();
  uint64_t now = Recorder::Get().NowUs();
  std::lock_guard<std::mutex> guard(W().mu);
  BindIdentity(n);
  n->wait = kind;
  n->lock = lock;
  n->site = &site;
  n->since_us = now;
  n->holds_gil = holds_gil;
  n->stack = stack;
}

// The thread's wait is over (it got `acquired`, or the GIL, or gave up). While the
// monitor has the recorder (frozen), a thread that holds the GIL parks here, before
// its hook touches anything: it is the only kind of thread that could write.
void LeaveWait(void* acquired) {
  NativeThread* n = Native();
  std::unique_lock<std::mutex> guard(W().mu);
  BindIdentity(n);
  n->wait = CWait::kNone;
  n->holds_gil = false;
  n->stack = kNoStack;
  if (acquired != nullptr) W().holders[acquired] = n;
  if (W().frozen && GilHeldByThisThread()) W().thaw.wait(guard, [] { return !W().frozen; });
}

// Any thread may release a PyThread lock, so the release ends the hold, whoever did it.
void Released(void* lock) {
  std::lock_guard<std::mutex> guard(W().mu);
  W().holders.erase(lock);
}

namespace {

// Frozen (see c_wait_record.h): the recorder is the caller's.
Tid NativeTid(Recorder& rec, NativeThread* n) {
  return n->rec != nullptr ? n->rec->tid : CThreadTid(rec, n->cthread);
}

wait_for::ThreadSnapshot& SnapshotEntry(wait_for::Snapshot& snap, Tid tid) {
  for (wait_for::ThreadSnapshot& t : snap.threads) {
    if (t.tid == tid) return t;
  }
  wait_for::ThreadSnapshot t;
  t.tid = tid;
  t.daemon = true;  // a C thread: the interpreter does not wait for it at exit
  snap.threads.push_back(t);
  return snap.threads.back();
}

wait_for::LockSnapshot CMutexState(Recorder& rec, void* lock, Tid waiter) {
  wait_for::LockSnapshot l;
  l.id = CMutexId(rec, lock, waiter);
  l.kind = LockKind::kCMutex;
  auto it = W().holders.find(lock);
  if (it != W().holders.end()) {
    l.held = true;
    l.holder = NativeTid(rec, it->second);
  }
  return l;
}

}  // namespace

bool FreezeCWaits(uint64_t now_us, uint64_t grace_us) {
  std::lock_guard<std::mutex> guard(W().mu);
  for (const NativeThread* n : W().natives) {
    if (n->alive && n->wait == CWait::kMutex && n->holds_gil && now_us >= n->since_us &&
        now_us - n->since_us >= grace_us) {
      W().frozen = true;
      return true;
    }
  }
  return false;
}

void ThawCWaits() {
  {
    std::lock_guard<std::mutex> guard(W().mu);
    W().frozen = false;
  }
  W().thaw.notify_all();
}

void AddCWaits(Recorder& rec, wait_for::Snapshot& snap) {
  DrainCapiPending(rec);
  std::lock_guard<std::mutex> guard(W().mu);
  wait_for::LockSnapshot gil;
  gil.id = kGilLock;
  gil.kind = LockKind::kGil;
  int gil_holders = 0;
  std::vector<std::pair<void*, Tid>> waited;  // each C mutex once, with a waiter
  for (NativeThread* n : W().natives) {
    if (!n->alive) continue;
    Tid tid = NativeTid(rec, n);
    wait_for::ThreadSnapshot& t = SnapshotEntry(snap, tid);
    if (n->wait == CWait::kNone) continue;  // its Python-level state, if any, stands
    t.waiting = true;
    t.kind = WaitKind::kLock;
    t.timed = false;
    t.since_us = n->since_us;
    t.obj = n->wait == CWait::kGil ? kGilLock : CMutexId(rec, n->lock, tid);
    if (n->holds_gil) {
      ++gil_holders;
      gil.holder = tid;
    }
    bool seen = std::any_of(waited.begin(), waited.end(), [n](const auto& w) { return w.first == n->lock; });
    if (n->wait == CWait::kMutex && !seen) waited.emplace_back(n->lock, tid);
  }
  // Two "holders" would mean the record is wrong somewhere: then nobody is known.
  gil.held = gil_holders == 1;
  snap.locks.push_back(gil);
  for (const auto& [lock, waiter] : waited) snap.locks.push_back(CMutexState(rec, lock, waiter));
}

void EndGilHoldOfWaiters(Recorder& rec, const std::vector<Tid>& stuck) {
  if (TraceGilHolder() == kNoTid || std::find(stuck.begin(), stuck.end(), TraceGilHolder()) == stuck.end()) return;
  {
    std::lock_guard<std::mutex> guard(W().mu);
    for (NativeThread* n : W().natives) {
      if (n->alive && n->holds_gil && NativeTid(rec, n) == TraceGilHolder()) return;
    }
  }
  TraceGilRelease(rec, TraceGilHolder(), kNoStack);
}

bool CWaitOf(Recorder& rec, Tid tid, uint64_t* obj, StackId* stack) {
  std::lock_guard<std::mutex> guard(W().mu);
  for (NativeThread* n : W().natives) {
    if (!n->alive || n->wait == CWait::kNone || NativeTid(rec, n) != tid) continue;
    *obj = n->wait == CWait::kGil ? kGilLock : CMutexId(rec, n->lock, tid);
    *stack = n->stack != kNoStack ? n->stack : CSiteStack(rec, n->site, kNoStack);
    if (n->holds_gil) {
      // The trace may still show an earlier holder that let the GIL go in code the
      // pass did not instrument (the eval loop's switch interval).
      if (TraceGilHolder() != kNoTid && TraceGilHolder() != tid) TraceGilRelease(rec, TraceGilHolder(), kNoStack);
      TraceGilHeld(rec, tid, *stack);
    }
    return true;
  }
  return false;
}


void LockWaitRecordBeforeFork() { W().mu.lock(); }
void UnlockWaitRecordInParent() { W().mu.unlock(); }

// Only the forking thread lives on in the child: the others' waits and holds are gone.
void ResetWaitRecordInChild() {
  for (NativeThread* n : W().natives) {
    if (n != t_native) n->alive = false;
  }
  for (auto it = W().holders.begin(); it != W().holders.end();) {
    it = it->second == t_native ? std::next(it) : W().holders.erase(it);
  }
  W().frozen = false;
  W().mu.unlock();
}

}  // namespace pyrace::py
