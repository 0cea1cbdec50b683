#include "runtime/python/runtime_thread.h"

#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

namespace pyrace::py {

namespace {

// The thread states of the runtime's running Python threads (the watchdog, the loop
// watcher): a slot each, set by the thread itself.
constexpr int kMaxOwnThreads = 4;
std::atomic<PyThreadState*> g_own[kMaxOwnThreads];

pthread_mutex_t g_lifecycle = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

// The first slot holding `from` gets `to` (null from: a free slot; null to: freed).
void ReplaceOwn(PyThreadState* from, PyThreadState* to) {
  for (auto& slot : g_own) {
    PyThreadState* expected = from;
    if (slot.compare_exchange_strong(expected, to)) return;
  }
}

void* Trampoline(void* arg) {
  auto* t = static_cast<RuntimeThread*>(arg);
  t->kernel_tid.store(static_cast<pid_t>(syscall(SYS_gettid)), std::memory_order_release);
  // PyThreadState_New binds the thread state to this thread for PyGILState_* and leaves
  // its gilstate count at 1, so the thread's Ensure/Release pairs never delete it.
  if (t->python) t->tstate = PyThreadState_New(PyInterpreterState_Main());
  if (t->tstate != nullptr) ReplaceOwn(nullptr, t->tstate);
  t->started.store(true, std::memory_order_release);
  void* result = t->main(nullptr);
  // Without a thread state (PyThreadState_New failed) the thread's PyGILState_Ensure
  // calls made and freed their own.
  if (t->tstate != nullptr) ReplaceOwn(t->tstate, nullptr);
  if (t->tstate != nullptr && !IsFinalizing()) {
    PyEval_RestoreThread(t->tstate);
    PyThreadState_Clear(t->tstate);
    PyThreadState_DeleteCurrent();
  }
  t->tstate = nullptr;
  return result;
}

// The kernel drops a thread from the process's thread count and from its pid table in
// one step (__exit_signal), so once tgkill no longer finds it the count is down.
bool KernelStillHas(pid_t tid) {
  return syscall(SYS_tgkill, getpid(), tid, 0) == 0 || errno != ESRCH;
}

}  // namespace

RuntimeThreadsGuard::RuntimeThreadsGuard() {
  if (pthread_mutex_trylock(&g_lifecycle) == 0) return;
  // Its holder may be waiting for the GIL (a thread it stops is finishing a tick).
  Py_BEGIN_ALLOW_THREADS
  pthread_mutex_lock(&g_lifecycle);
  Py_END_ALLOW_THREADS
}

RuntimeThreadsGuard::~RuntimeThreadsGuard() { pthread_mutex_unlock(&g_lifecycle); }

bool IsRuntimeThreadState(PyThreadState* ts) {
  for (const auto& slot : g_own) {
    if (slot.load(std::memory_order_relaxed) == ts) return true;
  }
  return false;
}

void ForgetRuntimeThreadsAfterFork() {
  for (auto& slot : g_own) slot.store(nullptr, std::memory_order_relaxed);
  g_lifecycle = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
}

bool StartRuntimeThread(RuntimeThread& t, void* (*main)(void*), PythonAccess access) {
  t.main = main;
  t.python = access == PythonAccess::kWithThreadState;
  t.tstate = nullptr;
  t.kernel_tid.store(0, std::memory_order_relaxed);
  t.started.store(false, std::memory_order_relaxed);
  if (pthread_create(&t.handle, nullptr, Trampoline, &t) != 0) return false;
  // The caller waits with the GIL released: tracemalloc's raw hooks take the GIL for the
  // new thread's allocation. The thread that switches the allocator at start-up is the
  // caller, which is waiting here.
  Py_BEGIN_ALLOW_THREADS
  while (!t.started.load(std::memory_order_acquire)) sched_yield();
  Py_END_ALLOW_THREADS
  return true;
}

void JoinRuntimeThread(RuntimeThread& t) {
  pthread_join(t.handle, nullptr);
  pid_t tid = t.kernel_tid.load(std::memory_order_acquire);
  if (tid == 0) return;
  // Usually gone at the first look; a tid reused meanwhile ends the wait at the bound.
  const timespec pause{0, 20 * 1000};
  for (int i = 0; i < 5000 && KernelStillHas(tid); ++i) nanosleep(&pause, nullptr);
}

}  // namespace pyrace::py
