// Per-thread state of the runtime: the dense thread id, what the thread currently
// blocks on (the watchdog's wait-for graph is built from these) and which wrapped
// locks it holds (checked for missed releases when the thread ends).
#pragma once

#include "runtime/python/py_compat.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/model/event.h"

namespace pyrace::py {

struct LockObject;

struct WaitState {
  bool active = false;
  WaitKind kind = WaitKind::kLock;
  uint64_t obj = 0;            // LockId, Tid or SyncId by kind
  LockObject* lock = nullptr;  // kLock: the lock (kept alive by the waiting call)
  bool timed = false;          // a timeout bounds the wait: never part of a deadlock
  uint64_t since_us = 0;
  StackId stack = kNoStack;    // where the thread waits
};

struct ThreadRec {
  Tid tid = 0;
  unsigned long ident = 0;        // PyThread_get_thread_ident()
  PyThreadState* tstate = nullptr;  // valid while alive
  bool alive = false;
  bool daemon = false;
  std::string name;
  Tid parent = kNoTid;             // as defined in the trace (a rename redefines it)
  StackId start_stack = kNoStack;
  // Under pytest: the test (node id) that started this thread, which it belongs to
  // for its whole life; 0 for the thread pytest runs tests in and threads started
  // outside any test (test_context.h).
  StrId test = 0;
  std::vector<LockObject*> held;  // wrapped locks this thread acquired and holds
  // `held` as one exact word, kept with it (holders.cpp) for the access hooks' repeat
  // skip, which asks on every access: 0 for none, the lock's id + 1 for one,
  // kManyHeld for more (never matched).
  uint32_t held_signature = 0;
  // For the access hooks' repeat skip (Recorder::last_publish): the sync serials of
  // this thread's releases of wrapped locks that nobody has acquired since, oldest
  // first (entries whose lock was acquired since are dropped from the top, and in
  // bulk when they are many), and the newest of those, 0 for none.
  std::vector<std::pair<LockId, uint64_t>> unclaimed;
  uint64_t unclaimed_max = 0;
  uint32_t unclaimed_live = 0;
  WaitState wait;
};

inline constexpr uint32_t kManyHeld = UINT32_MAX;

// Owns every ThreadRec (never freed: ids and pointers stay valid for the run). GIL.
class ThreadRegistry {
 public:
  // The calling thread's record, registering a thread pyrace did not start.
  ThreadRec* Current() {
    ThreadRec* t = current_;
    return t != nullptr ? t : RegisterForeign();
  }
  ThreadRec* CurrentOrNull() const { return current_; }
  // A record for a thread about to be started; it becomes current in the child.
  ThreadRec* Create(std::string name, bool daemon);
  // Called first thing in the new thread (or for the main thread at bootstrap).
  void Attach(ThreadRec* t);
  // Called last thing in an ending thread.
  void Detach(ThreadRec* t);
  ThreadRec* Get(Tid tid) { return tid < all_.size() ? all_[tid].get() : nullptr; }
  const std::vector<std::unique_ptr<ThreadRec>>& all() const { return all_; }

 private:
  ThreadRec* RegisterForeign();
  std::vector<std::unique_ptr<ThreadRec>> all_;
  // initial-exec: read on every recorded event, and the default model for a shared
  // object calls __tls_get_addr each time (~3% of race mode). One pointer fits glibc's
  // static TLS reserve for dlopen'ed objects.
  static thread_local ThreadRec* current_ __attribute__((tls_model("initial-exec")));
};

}  // namespace pyrace::py
