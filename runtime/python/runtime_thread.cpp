#include "runtime/python/runtime_thread.h"

#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

namespace pyrace::py {

namespace {

void* Trampoline(void* arg) {
  auto* t = static_cast<RuntimeThread*>(arg);
  t->kernel_tid.store(static_cast<pid_t>(syscall(SYS_gettid)), std::memory_order_release);
  return t->main(nullptr);
}

// The kernel drops a thread from the process's thread count and from its pid table in
// one step (__exit_signal), so once tgkill no longer finds it the count is down.
bool KernelStillHas(pid_t tid) {
  return syscall(SYS_tgkill, getpid(), tid, 0) == 0 || errno != ESRCH;
}

}  // namespace

bool StartRuntimeThread(RuntimeThread& t, void* (*main)(void*)) {
  t.main = main;
  t.kernel_tid.store(0, std::memory_order_relaxed);
  return pthread_create(&t.handle, nullptr, Trampoline, &t) == 0;
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
