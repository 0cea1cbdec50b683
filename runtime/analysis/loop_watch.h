// The asyncio watchdog's decisions, as pure functions of what the runtime sees of an
// event loop. No Python here: runtime/python/asyncio_hooks.cpp reads the loop (under
// the GIL, or the step counters without it) and acts on the answers; the unit tests
// feed them states directly.
//
// Blocking: a loop runs one callback or task step at a time (asyncio.events.Handle._run).
// A step still running loop_block_ms after it began keeps every other task from
// running; the loop's thread is sampled then, once per step, while it still blocks.
//
// Idle: a running loop whose thread waits in select() with nothing that could ever
// wake it except another thread (call_soon_threadsafe) or a signal handler. Its pending
// tasks can then only be resumed from outside the loop, so the thread watchdog treats
// the loop's thread as a waiter any other thread could free (WaitKind::kEventLoop,
// runtime/analysis/wait_for.h): a deadlock once every other thread is stuck too.
// Anything that can still happen inside the loop keeps it out of that state.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pyrace::loop_watch {

struct Step {
  bool running = false;   // a callback or task step is running on the loop's thread
  uint64_t seq = 0;       // steps begun on that thread so far
  uint64_t start_us = 0;  // when the running step began
  bool sampled = false;   // this step was sampled already
};

// Sample the loop's thread now: the running step has overrun the threshold and has
// not been sampled. threshold_us = 0 turns the check off.
bool ShouldSample(const Step& s, uint64_t now_us, uint64_t threshold_us);

// When to look at the step next (not after now_us + period_us): exactly when the
// running step would overrun, so a step is sampled as soon as it has blocked
// threshold_us rather than at the next period.
uint64_t NextLook(const Step& s, uint64_t now_us, uint64_t threshold_us, uint64_t period_us);

struct LoopState {
  bool running = false;       // run_forever() is active on the loop's thread
  bool in_step = false;       // a callback or task step is running (it may block anywhere)
  bool stopping = false;      // stop() was called: the loop returns after this round
  size_t ready = 0;           // callbacks scheduled to run (loop._ready)
  size_t timers = 0;          // timers (loop._scheduled), cancelled ones included
  size_t io = 0;              // selector registrations other than the loop's self-pipe
  size_t signal_handlers = 0; // add_signal_handler() registrations (they wake the loop)
  size_t executor_jobs = 0;   // work queued in the loop's default executor, not yet taken
  size_t pending_tasks = 0;   // tasks of this loop not done
};

enum class Idle : uint8_t {
  kIdle = 0,   // only another thread can wake the loop, and it has tasks waiting
  kNotRunning,
  kInStep,
  kStopping,
  kReady,
  kTimers,
  kIo,
  kSignals,
  kExecutor,
  kNoTasks,    // idle, but no task waits: nothing is lost (run_forever() of a server)
};

Idle Classify(const LoopState& s);
const char* IdleText(Idle i);

}  // namespace pyrace::loop_watch
