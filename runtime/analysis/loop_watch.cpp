#include "runtime/analysis/loop_watch.h"

namespace pyrace::loop_watch {

bool ShouldSample(const Step& s, uint64_t now_us, uint64_t threshold_us) {
  if (threshold_us == 0 || !s.running || s.sampled) return false;
  return now_us >= s.start_us && now_us - s.start_us >= threshold_us;
}

uint64_t NextLook(const Step& s, uint64_t now_us, uint64_t threshold_us, uint64_t period_us) {
  uint64_t next = now_us + period_us;
  if (threshold_us == 0 || !s.running || s.sampled) return next;
  uint64_t due = s.start_us + threshold_us;
  if (due <= now_us) return now_us;
  return due < next ? due : next;
}

// The order only decides which reason is named; any one of them keeps the loop live.
Idle Classify(const LoopState& s) {
  if (!s.running) return Idle::kNotRunning;
  if (s.in_step) return Idle::kInStep;
  if (s.stopping) return Idle::kStopping;
  if (s.ready > 0) return Idle::kReady;
  if (s.timers > 0) return Idle::kTimers;
  if (s.io > 0) return Idle::kIo;
  if (s.signal_handlers > 0) return Idle::kSignals;
  if (s.executor_jobs > 0) return Idle::kExecutor;
  if (s.pending_tasks == 0) return Idle::kNoTasks;
  return Idle::kIdle;
}

const char* IdleText(Idle i) {
  switch (i) {
    case Idle::kIdle: return "idle with tasks waiting";
    case Idle::kNotRunning: return "not running";
    case Idle::kInStep: return "running a step";
    case Idle::kStopping: return "stopping";
    case Idle::kReady: return "callbacks ready";
    case Idle::kTimers: return "timers scheduled";
    case Idle::kIo: return "waiting for I/O";
    case Idle::kSignals: return "signal handlers registered";
    case Idle::kExecutor: return "executor work queued";
    case Idle::kNoTasks: return "idle with no task waiting";
  }
  return "?";
}

}  // namespace pyrace::loop_watch
