// The event vocabulary shared by the recorder (runtime/python), the trace format
// (runtime/trace) and the detectors (runtime/analysis). Nothing here knows Python.
//
// Identities are dense integers handed out by the recorder in creation order, never
// addresses: CPython reuses addresses after free, and dense ids let the detectors keep
// per-lock and per-thread state in plain vectors.
#pragma once

#include <cstdint>

namespace pyrace {

using Tid = uint32_t;      // 0 is the main thread
using LockId = uint32_t;   // 0 is reserved for the GIL (C extensions)
using StackId = uint32_t;  // index into Symbols::stacks; kNoStack = unknown
using StrId = uint32_t;    // index into Symbols::strings; 0 = ""
using SyncId = uint64_t;   // hand-off channel (queue, event, future...) id
using LocId = uint64_t;    // shared-memory location id (data races)

inline constexpr StackId kNoStack = 0;
inline constexpr Tid kNoTid = UINT32_MAX;
inline constexpr LockId kGilLock = 0;

enum class LockKind : uint8_t {
  kLock = 0,       // _thread.lock: any thread may release it
  kRLock = 1,      // _thread.RLock: owner-only release, re-entrant
  kCMutex = 2,     // pthread/PyThread/PyMutex lock in a C extension
  kGil = 3,        // the interpreter lock, as seen by instrumented C code
  kJoinSentinel = 4,  // internal: stands for "thread T has exited"
};

// What a thread blocks on, for the wait-for graph of the deadlock watchdog.
enum class WaitKind : uint8_t {
  kLock = 0,    // obj = LockId
  kJoin = 1,    // obj = Tid being joined
  kJoinAll = 2, // interpreter shutdown joining every non-daemon thread
  kHandoff = 3, // obj = SyncId (queue get, event wait...)
  // asyncio (runtime/python/asyncio_hooks.*). An event loop's thread in select() with
  // nothing that could wake it but another thread: obj = the loop's SyncId.
  kEventLoop = 4,
  // A task of such a loop suspended on a future (event, queue, plain future...) rather
  // than on an asyncio lock (kLock, holder = a task) or another task (kJoin, obj = its
  // Tid). Only in kDeadlockWait; obj = 0.
  kAwait = 5,
};

enum class EventKind : uint8_t {
  // Threads. ThreadStart is emitted by the parent (tid) and names the child (obj):
  // it is the happens-before edge parent -> child. stack = where start() was called.
  kThreadStart = 1,
  kThreadExit = 2,   // tid ended (normally or by exception)
  kThreadJoin = 3,   // tid returned from joining obj (the child had exited): edge child -> tid

  // Locks. stack = the Python (or C) call site of the operation.
  kLockCreate = 10,    // obj = LockId, aux = LockKind
  kLockAcquired = 11,  // flags: kFlagTry / kFlagTimed / kFlagReentrant
  kLockTryFailed = 12, // a non-blocking or timed acquire that did not get the lock
  kLockRelease = 13,   // flags: kFlagSameFrame / kFlagReentrant / kFlagError
  // The function activation that acquired obj ended (returned or raised) while the
  // lock was still held. stack = where it ended (the return/raise line and callers);
  // flags: kFlagRaised. Emitted at most once per acquisition, at the latest at thread exit.
  kLockHeldAtFrameEnd = 14,

  // Hand-offs (happens-before edges other than locks): queue put->get, Event set->wait,
  // Condition notify->wait, Future set_result->result. obj = SyncId.
  kHandoffSend = 20,
  kHandoffRecv = 21,

  // Shared-memory accesses (the race detector). obj = LocId; flags: kFlagWrite / kFlagReadModifyWrite.
  kAccess = 30,
  kObjectFree = 31,  // obj = object id whose locations must be forgotten (address reuse)

  // A hang caught by the watchdog, as a group: one kDeadlockBegin (aux = number of
  // waits), then one kDeadlockWait per stuck thread (tid waits on obj, aux = WaitKind,
  // stack = where it waits), one kThreadStack per other live thread, then kDeadlockEnd.
  kDeadlockBegin = 40,
  kDeadlockWait = 41,
  kThreadStack = 42,
  kDeadlockEnd = 43,

  // C extensions: a refcount change or C-API call without the GIL.
  // obj = 0 for refcount, 1 for C-API call; stack = C location (+ Python stack).
  kGilNotHeld = 50,

  // asyncio (runtime/python/asyncio_hooks.*); trace format 1.1 writes these two in the
  // length-prefixed form, which 1.0 readers skip. Tasks that touch asyncio locks, block
  // the loop or deadlock are given Tids of their own (defined like threads; kThreadStart
  // from the loop's thread, kThreadExit when the task is done), so the lock analyses
  // treat them as the lock owners they are.
  // A callback or task step has kept its loop from running for loop_block_ms: tid = the
  // loop's thread, obj = the running task's Tid (kNoTid for a plain callback), aux = ms
  // blocked so far (capped at 65535), stack = the loop thread's stack sampled while it
  // blocks.
  kLoopBlocked = 44,
  // The step reported by kLoopBlocked ended: tid = the loop's thread, obj = how long the
  // whole step took in microseconds.
  kLoopStepEnd = 45,
  // Race mode only: the task running on the loop's thread (tid) changed. obj = the new
  // task's number (low 32 bits: 1-based, never reused in a run) | the StrId of its name
  // ("Task-3 (worker)") << 32; obj = 0: what runs next on that thread is no task's (a
  // plain callback, the loop itself). With kFlagTaskGone: the task obj is gone (freed;
  // tid = any thread) and its number is not used again. A task's steps between two of
  // these are its atomic steps: no other task ran in between (docs/asyncio.md).
  kTaskStep = 46,

  // os.fork() (multiprocessing's fork start method included) is about to fork: tid =
  // the forking thread, stack = where it called fork, obj = 0. Recorded in the parent,
  // under the GIL, just before the fork: the locks other threads hold at this point are
  // held forever in the child, whose only thread is the forking one. Trace format 1.2,
  // length-prefixed.
  kFork = 47,

  // The process ends by its own doing: its main thread finished (threading._shutdown),
  // or os._exit or an exec. tid = the thread that ends it. A trace without one ended
  // abruptly (a signal, a crash): what its threads held then was cut off, not kept, and
  // no missed release can be told from it (docs/analyses.md). Trace format 2.1,
  // length-prefixed; a 2.0 trace is read as ending so.
  kProcessEnd = 48,
};

// Event flag bits. Their meaning depends on the kind (see above).
inline constexpr uint8_t kFlagTry = 1 << 0;        // acquire(blocking=False)
inline constexpr uint8_t kFlagTimed = 1 << 1;      // acquire(timeout=...)
inline constexpr uint8_t kFlagReentrant = 1 << 2;  // RLock level > 1
inline constexpr uint8_t kFlagSameFrame = 1 << 3;  // released by the activation that acquired it
inline constexpr uint8_t kFlagError = 1 << 4;      // the operation raised (release of unheld lock...)
inline constexpr uint8_t kFlagRaised = 1 << 5;     // kLockHeldAtFrameEnd: the frame ended by an exception
// kLockRelease: the lock object was freed while held (tid = its holder). Nobody released
// it, so it is no hand-off and no happens-before edge; the hold just ends.
inline constexpr uint8_t kFlagFreed = 1 << 6;
inline constexpr uint8_t kFlagWrite = 1 << 0;      // kAccess
inline constexpr uint8_t kFlagReadModifyWrite = 1 << 1;  // kAccess: x += 1, check-then-act
// kAccess: an atomic update of a builtin that commutes with any other such update of
// the location (list.append, set.add, dict.setdefault, inserting a new key): two of them
// are no race, whatever their order (docs/races.md).
inline constexpr uint8_t kFlagCommutes = 1 << 2;
// kAccess: of a builtin container's shape (its size and iteration order: docs/races.md),
// not of one of its entries; a read of it is an iteration, len, copy or truth test.
inline constexpr uint8_t kFlagShape = 1 << 3;
inline constexpr uint8_t kFlagTaskGone = 1 << 0;   // kTaskStep

// One decoded event. 32 bytes in memory; the trace encodes it in a few bytes.
struct Event {
  EventKind kind{};
  uint8_t flags = 0;
  uint16_t aux = 0;
  Tid tid = 0;
  uint64_t obj = 0;
  StackId stack = kNoStack;
  uint32_t reserved = 0;
  uint64_t time_us = 0;  // microseconds since the process started
};

// An event in one expression (tests, benchmarks, generators).
inline Event MakeEvent(EventKind kind, Tid tid, uint64_t obj, StackId stack, uint64_t time_us,
                       uint8_t flags = 0, uint16_t aux = 0) {
  Event e;
  e.kind = kind;
  e.flags = flags;
  e.aux = aux;
  e.tid = tid;
  e.obj = obj;
  e.stack = stack;
  e.time_us = time_us;
  return e;
}

}  // namespace pyrace
