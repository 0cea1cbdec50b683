// The deadlock watchdog: a native thread that every watchdog_interval_ms takes the
// GIL, snapshots the wait-for state the wrappers keep, asks
// runtime/analysis/wait_for.h whether threads are stuck, and if so records the
// kDeadlock* group with every thread's stack and (on_deadlock=exit) ends the process.
// It also flushes the trace about every 100 ms so a killed run loses little.
#pragma once

namespace pyrace::py {

void StartWatchdog();
// Stops and joins it; call with the GIL held, before the interpreter finalizes.
void StopWatchdog();
// Around one os.fork() in the parent (the GIL held): the watchdog is stopped before
// the first of the forks under way and started again after the last, if it ran.
void PauseWatchdogForFork();
void ResumeWatchdogAfterFork();
// In a forked child the thread does not exist: forget it without touching its state.
void ForgetWatchdogAfterFork();
bool WatchdogRunning();

}  // namespace pyrace::py
