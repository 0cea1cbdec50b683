// The runtime's own OS threads (the watchdog, its GIL monitor, the event-loop watcher).
//
// Three things about such a thread are the interpreter's business, and easy to get wrong:
//
// - Its thread state. PyGILState_Ensure in a thread that has none allocates one
//   without the GIL, and that races another thread switching the raw allocator for a
//   moment (tracemalloc.stop(), CPython's own _PyMem_SetDefaultAllocator): under
//   PYTHONMALLOC=malloc_debug a block made by the plain allocator was later freed by the
//   debug one, and the interpreter aborted ("bad ID"). So a thread that needs Python
//   gets its thread state from PyThreadState_New while its starter waits, and keeps it
//   for its life; its PyGILState_Ensure calls find it.
// - Its end. os.fork() on 3.12+ counts the process's threads in the kernel and warns
//   when there is more than one, so the runtime stops its threads before a fork.
//   pthread_join returns when the kernel clears the thread's tid, which is before the
//   kernel stops counting the thread; JoinRuntimeThread waits for both.
// - Who starts and stops it. Both wait with the GIL released, so without a lock of
//   their own two Python threads could start or stop one thread at once (threads that
//   call os.fork() together: a thread joined twice crashed the interpreter).
//   RuntimeThreadsGuard is that lock.

#pragma once

#include "runtime/python/py_compat.h"

#include <pthread.h>
#include <sys/types.h>

#include <atomic>

namespace pyrace::py {

struct RuntimeThread {
  pthread_t handle{};
  void* (*main)(void*) = nullptr;
  bool python = false;                   // has a thread state of its own
  PyThreadState* tstate = nullptr;       // its thread state, while it runs
  std::atomic<pid_t> kernel_tid{0};
  std::atomic<bool> started{false};      // tstate made (or not needed)
};

// Whether the thread runs Python: kWithThreadState gives it a thread state of its own.
enum class PythonAccess { kNone, kWithThreadState };

// Held (with the GIL) while a runtime thread is started or stopped and its running
// flag set; recursive, since stopping the watchdog stops the loop watcher. Taking it
// releases the GIL while it waits, so the thread that holds it can wait for the GIL.
class RuntimeThreadsGuard {
 public:
  RuntimeThreadsGuard();
  ~RuntimeThreadsGuard();
  RuntimeThreadsGuard(const RuntimeThreadsGuard&) = delete;
  RuntimeThreadsGuard& operator=(const RuntimeThreadsGuard&) = delete;
};

// Starts t running main(nullptr); false if the thread could not be made. The caller
// holds the GIL and a RuntimeThreadsGuard. It waits, with the GIL released, until the
// thread has its thread state (kWithThreadState), which is deleted when main returns
// unless the interpreter is finalizing (it then owns the thread state).
bool StartRuntimeThread(RuntimeThread& t, void* (*main)(void*), PythonAccess access);

// Whether ts is the thread state of one of the runtime's own threads, which a count
// of the program's threads leaves out.
bool IsRuntimeThreadState(PyThreadState* ts);

// In a forked child: the runtime's threads are gone, the interpreter freed their
// thread states, and a RuntimeThreadsGuard some other thread of the parent held is
// free.
void ForgetRuntimeThreadsAfterFork();

// Joins t and waits (at most ~100 ms) until the kernel no longer counts it. The caller
// holds a RuntimeThreadsGuard, and not the GIL when t may be waiting for it.
void JoinRuntimeThread(RuntimeThread& t);

}  // namespace pyrace::py
