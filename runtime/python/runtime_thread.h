// The runtime's own OS threads (the watchdog, its GIL monitor, the event-loop watcher).
//
// os.fork() on 3.12+ counts the process's threads in the kernel and warns when there is
// more than one, so the runtime stops its threads before a fork. pthread_join returns
// when the kernel clears the thread's tid, which is before the kernel stops counting
// the thread; JoinRuntimeThread waits for both, or a fork right after it still warns.

#pragma once

#include <pthread.h>
#include <sys/types.h>

#include <atomic>

namespace pyrace::py {

struct RuntimeThread {
  pthread_t handle{};
  std::atomic<pid_t> kernel_tid{0};
  void* (*main)(void*) = nullptr;
};

// Starts t running main(nullptr); false if the thread could not be made.
bool StartRuntimeThread(RuntimeThread& t, void* (*main)(void*));

// Joins t and waits (at most ~100 ms) until the kernel no longer counts it.
void JoinRuntimeThread(RuntimeThread& t);

}  // namespace pyrace::py
