// asyncio under the runtime (Python 3.11+): what an event loop is doing, for the
// loop watcher (blocking steps), the deadlock watchdog (loops nothing can wake) and
// the lock analyses (asyncio.Lock with tasks as owners).
//
// Installed right after the program imports asyncio (WhenImported, import_hook.h),
// never imported by pyrace itself:
//   - asyncio.events.Handle._run: every callback and task step passes through it; it
//     marks the step's start and end for the loop watcher (one clock read each);
//   - BaseEventLoop.run_forever: which loops run, on which thread;
//   - BaseEventLoop.call_soon_threadsafe: a hand-off from the calling thread to the
//     step that runs the callback (run_coroutine_threadsafe, run_in_executor,
//     to_thread and wrap_future results all come back to the loop through it);
//   - asyncio.Lock's `_locked` attribute: a data descriptor that stores the value where
//     Python would (the instance __dict__) and records the acquire (False -> True) and
//     release (True -> False) by the task that runs, so Condition's lock is covered too.
// Tasks get Tids on first need (an asyncio lock, a blocking report, a deadlock).
#pragma once

#include "runtime/python/py_compat.h"

#include <vector>

#include "runtime/model/event.h"
#include "runtime/python/recorder.h"

namespace pyrace::wait_for {
struct Snapshot;
}

namespace pyrace::py {

// At bootstrap: installs the hooks now when asyncio is already imported, else the
// finder that installs them when it is.
bool InstallAsyncioHooks(PyObject* module);

// The loop watcher thread (started with the first running loop), GIL held. Stopped for
// good at exit; for a fork, to run again (ResumeLoopWatcher) once it is done.
void StopLoopWatcher(bool for_good);
void ResumeLoopWatcher();
void ForgetLoopWatcherAfterFork();

// Around pyrace's own work inside a running loop step on this thread (rewriting a
// module the step imports), which a plain run does not spend: the loop watcher does
// not sample the step meanwhile, and the time does not count towards the step's
// (blocking-in-event-loop). GIL held.
class LoopStepPause {
 public:
  LoopStepPause();
  ~LoopStepPause();
  LoopStepPause(const LoopStepPause&) = delete;
  LoopStepPause& operator=(const LoopStepPause&) = delete;

 private:
  uint64_t saved_start_ = 0;  // the step's start_us (0: no step was running)
  uint64_t paused_at_ = 0;
};

// Watchdog, GIL held: marks the thread of every loop that nothing inside it can wake
// (runtime/analysis/loop_watch.h) as waiting (WaitKind::kEventLoop) since it became so.
void AddEventLoopWaits(Recorder& rec, wait_for::Snapshot& snap);

struct LoopWait {
  Tid tid = 0;
  WaitKind kind = WaitKind::kEventLoop;
  uint64_t obj = 0;
  StackId stack = kNoStack;
};
// For the thread of such a loop: its own wait (where it sits in select), then one wait
// per pending task with the task's await chain as its stack: kLock (an asyncio lock,
// held by a task), kJoin (obj = the awaited task's Tid) or kAwait. False for a thread
// that runs no idle loop.
bool IdleLoopWaits(Recorder& rec, Tid thread, std::vector<LoopWait>* out);

}  // namespace pyrace::py
