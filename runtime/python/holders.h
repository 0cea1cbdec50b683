// Who holds which wrapped lock, what each thread waits on, and the lock events that
// go with them. The lock types call these around the real lock operations; the
// watchdog and thread exit read the state they keep. All under the GIL.
#pragma once

#include "runtime/python/py_compat.h"

#include "runtime/model/event.h"
#include "runtime/python/threads.h"

namespace pyrace::py {

struct LockObject;
struct ThreadRec;

// LockCreate for a new lock (assigns its id).
void NoteCreated(LockObject* l);

// Stack of the calling code, or kNoStack when nothing is recorded. Call before the
// real lock operation: capturing may allocate and so run arbitrary code.
StackId CallSiteStack();

// Stack of a release of l: derived from the acquire's when the acquiring frame
// releases (the common case), captured otherwise.
StackId ReleaseSiteStack(LockObject* l);

// The lock was just taken by the calling thread (outermost level). keep_frame: remember
// the acquiring activation, to report it if it ends still holding the lock. A `with`
// block (__enter__) releases in the same activation on every path, so it needs none,
// and keeping one costs a frame object per acquire (8% of executor_map.py).
void NoteAcquired(LockObject* l, StackId stack, uint8_t flags, bool keep_frame = true);
// RLock re-entry by its owner.
void NoteReentered(LockObject* l, StackId stack, uint8_t flags);
void NoteTryFailed(LockObject* l, StackId stack, uint8_t flags);
// The lock was released (outermost level).
void NoteReleased(LockObject* l, StackId stack, uint8_t flags);
// RLock inner release, or a release that raised (kFlagError).
void NoteReleaseEvent(LockObject* l, StackId stack, uint8_t flags);
// The lock object is being freed while held: its holder's hold ends (kFlagFreed).
void NoteFreedWhileHeld(LockObject* l);
// The lock is gone or re-initialized: forget it wherever it is recorded.
void ForgetHolder(LockObject* l);

// The calling thread starts blocking on something; restores the previous wait (a
// signal handler can block inside another wait) when it ends.
class WaitScope {
 public:
  WaitScope(WaitKind kind, uint64_t obj, LockObject* lock, bool timed, StackId stack);
  ~WaitScope();
  WaitScope(const WaitScope&) = delete;
  WaitScope& operator=(const WaitScope&) = delete;

 private:
  ThreadRec* thread_;
  WaitState saved_;
};

// l->acquire_frame = frame (borrowed; null: none), watched for its deallocation: a
// frame object is freed only once its activation has ended, and then the end is
// reported if l is still held from it.
void WatchAcquireFrame(LockObject* l, PyObject* frame);

// kLockHeldAtFrameEnd for l if the activation that acquired it has ended, once per
// acquisition. holder_gone: its thread has exited (every frame of it has ended).
void CheckFrameEnd(LockObject* l, bool holder_gone);
// At the end of a thread: every lock it still holds.
void CheckHeldLocksAtThreadEnd(ThreadRec* t);

// Must be called once at module init (reads opcode numbers from `dis`).
bool InitFrameEnd();

}  // namespace pyrace::py
