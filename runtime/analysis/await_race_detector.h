// Lost updates across `await` (data-race, "across await"): asyncio tasks of one loop
// share a thread, so the happens-before detector orders all their accesses; what can
// still go wrong is atomicity. A task's step (what runs between two suspensions) is
// atomic under asyncio; a read in one step and a write in a later step of the same task
// are not, when another task (or a callback) wrote the location in between.
//
// The unit is the task step as the runtime records it (kTaskStep: the running task of
// a loop's thread changed). For task A and location x:
//   - A's latest read (or check) of x since A last wrote x is "the read the write
//     depends on" (the approximation: the value read is not followed through locals);
//   - A's write of x in a later step than that read, while the location's last write
//     since the read was another task's (or a plain callback's, or another thread's),
//     is reported with the three accesses;
//   - a write that reads x itself (x += 1) or has no earlier read pending, and accesses
//     with no suspension between them, are never reported;
//   - a commuting update (append, add, inserting a new key) is reported only after a
//     check (`if len(pool) < n:`): after a plain read nothing it wrote is lost.
// Only interleavings that happened are reported (no prediction): a task holding an
// asyncio.Lock across its await keeps every other task that takes the lock out of the
// window, so the report then names a writer that did not take it.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/analysis/detector.h"

namespace pyrace {

class AwaitRaceDetector : public Detector {
 public:
  uint64_t InterestMask() const override {
    return EventBit(EventKind::kTaskStep) | EventBit(EventKind::kAccess);
  }
  void OnEvent(const Event& e, const AnalysisContext& ctx) override;
  void Finish(const AnalysisContext& ctx, FindingSink& sink) override;

  // Reads kept pending at most (then new ones are not kept: a lost update may be missed).
  static constexpr size_t kMaxPendingReads = size_t{1} << 20;

 private:
  // Who made an access: a task (its number), or code on a thread outside any task.
  struct Actor {
    uint32_t task = 0;
    Tid thread = kNoTid;
    bool operator==(const Actor&) const = default;
  };
  struct Access {
    Actor actor;
    StackId stack = kNoStack;
    uint8_t flags = 0;
    uint64_t seq = 0;   // stream index + 1; 0 = none
    uint64_t step = 0;  // the task's step number (tasks only)
  };
  struct Task {
    StrId name = 0;
    uint64_t step = 0;
    std::vector<LocId> pending;  // locations with a pending read of this task
  };
  struct Location {
    uint32_t pending_reads = 0;
    Access last_write;  // since the oldest pending read; seq 0 = none
  };
  struct ReadKey {
    uint32_t task = 0;
    LocId loc = 0;
    bool operator==(const ReadKey&) const = default;
  };
  struct ReadKeyHash {
    size_t operator()(const ReadKey& k) const { return std::hash<uint64_t>()(k.loc * 0x9E3779B97F4A7C15ull ^ k.task); }
  };

  void OnTaskStep(const Event& e);
  void OnAccess(const Event& e, const AnalysisContext& ctx);
  void Forget(uint32_t task);
  void Report(LocId loc, const Access& read, const Access& write, const Access& other, const AnalysisContext& ctx);
  std::string ActorName(const Actor& a, const Symbols& syms) const;

  std::vector<uint32_t> running_;  // by loop thread: the task number running (0: none)
  std::vector<bool> loop_threads_;  // by Tid: has run task steps
  std::unordered_map<uint32_t, Task> tasks_;
  std::unordered_map<ReadKey, Access, ReadKeyHash> reads_;  // pending reads
  std::unordered_map<LocId, Location> locations_;  // locations with a pending read
  size_t pending_ = 0;
  uint64_t dropped_ = 0;
  FindingSink reports_;
};

}  // namespace pyrace
