#include "runtime/python/holders.h"

#include <algorithm>
#include <vector>

#include "runtime/python/frame_walk.h"
#include "runtime/python/lock_names.h"
#include "runtime/python/lock_types.h"
#include "runtime/python/recorder.h"
#include "runtime/python/stack_depot.h"
#include "runtime/python/threads.h"

namespace pyrace::py {

namespace {

void HeldChanged(ThreadRec* t) {
  const auto& held = t->held;
  if (held.empty()) {
    t->held_signature = 0;
  } else if (held.size() == 1 && held[0]->id < kManyHeld - 1) {
    t->held_signature = held[0]->id + 1;
  } else {
    t->held_signature = kManyHeld;
  }
}

void RemoveHeld(ThreadRec* t, LockObject* l) {
  auto& held = t->held;
  // Locks are mostly released in reverse order: search from the back.
  for (size_t i = held.size(); i-- > 0;) {
    if (held[i] == l) {
      held.erase(held.begin() + static_cast<std::ptrdiff_t>(i));
      HeldChanged(t);
      return;
    }
  }
}

void EmitFor(Recorder& rec, EventKind kind, LockObject* l, StackId stack, uint8_t flags) {
  rec.EmitWrappedLock(kind, l->id, flags, stack);
}

}  // namespace

void NoteCreated(LockObject* l) {
  Recorder& rec = Recorder::Get();
  l->id = rec.NextLockId();
  if (!rec.recording()) return;
  StackId stack = rec.CaptureStack();
  rec.Emit(EventKind::kLockCreate, l->id, 0, static_cast<uint16_t>(l->kind), stack);
  NameNewLock(rec, l->id);
}

StackId CallSiteStack() {
  Recorder& rec = Recorder::Get();
  return rec.recording() ? rec.CaptureStack() : kNoStack;
}

StackId ReleaseSiteStack(LockObject* l) {
  Recorder& rec = Recorder::Get();
  if (!rec.recording()) return kNoStack;
  // Only a kept acquiring frame makes asking for the current one worth it (asking
  // creates its frame object).
  PyFrameObject* frame = l->acquire_frame != nullptr ? CurrentFrame() : nullptr;
  if (frame != nullptr && reinterpret_cast<PyObject*>(frame) == l->acquire_frame) {
    return rec.depot().SameFrame(l->acquire_stack, frame);
  }
  if (l->enter_frame != nullptr) {
    RawFrame top = TopRawFrame();
    if (top == l->enter_frame && RawCode(top) == l->enter_code) {
      StackId id = rec.depot().SameActivation(l->acquire_stack, RawCode(top), RawLasti(top));
      if (id != kNoStack) return id;
    }
  }
  return rec.CaptureStack();
}

void NoteAcquired(LockObject* l, StackId stack, uint8_t flags, bool keep_frame) {
  Recorder& rec = Recorder::Get();
  ThreadRec* t = rec.threads().Current();
  // A plain lock taken again after another thread released it for us: the old record
  // is already gone (release clears it), so this always starts a fresh one.
  l->holder = t;
  l->frame_end_reported = false;
  WatchAcquireFrame(l, l->is_signal || !keep_frame ? nullptr : reinterpret_cast<PyObject*>(CurrentFrame()));
  l->acquire_stack = stack;
  RawFrame top = keep_frame ? nullptr : TopRawFrame();
  l->enter_frame = top;
  l->enter_code = top != nullptr ? RawCode(top) : nullptr;
  t->held.push_back(l);
  HeldChanged(t);
  EmitFor(rec, EventKind::kLockAcquired, l, stack, flags);
}

void NoteReentered(LockObject* l, StackId stack, uint8_t flags) {
  EmitFor(Recorder::Get(), EventKind::kLockAcquired, l, stack,
          static_cast<uint8_t>(flags | kFlagReentrant));
}

void NoteTryFailed(LockObject* l, StackId stack, uint8_t flags) {
  EmitFor(Recorder::Get(), EventKind::kLockTryFailed, l, stack, flags);
}

void NoteReleased(LockObject* l, StackId stack, uint8_t flags) {
  Recorder& rec = Recorder::Get();
  PyObject* frame = l->acquire_frame;
  if (frame != nullptr && frame == reinterpret_cast<PyObject*>(CurrentFrame())) {
    flags |= kFlagSameFrame;
  }
  WatchAcquireFrame(l, nullptr);
  l->enter_frame = nullptr;
  if (l->holder != nullptr) RemoveHeld(l->holder, l);
  l->holder = nullptr;
  EmitFor(rec, EventKind::kLockRelease, l, stack, flags);
}

void NoteReleaseEvent(LockObject* l, StackId stack, uint8_t flags) {
  EmitFor(Recorder::Get(), EventKind::kLockRelease, l, stack, flags);
}

void NoteFreedWhileHeld(LockObject* l) {
  Recorder& rec = Recorder::Get();
  if (!rec.recording() || !l->locked || l->holder == nullptr || IsFinalizing()) return;
  rec.EmitFor(l->holder->tid, EventKind::kLockRelease, l->id, kFlagFreed);
}

void ForgetHolder(LockObject* l) {
  if (l->holder != nullptr) RemoveHeld(l->holder, l);
  l->holder = nullptr;
  WatchAcquireFrame(l, nullptr);
  l->enter_frame = nullptr;
}

WaitScope::WaitScope(WaitKind kind, uint64_t obj, LockObject* lock, bool timed, StackId stack) {
  Recorder& rec = Recorder::Get();
  thread_ = rec.threads().Current();
  saved_ = thread_->wait;
  thread_->wait = WaitState{true, kind, obj, lock, timed, rec.NowUs(), stack};
}

WaitScope::~WaitScope() { thread_->wait = saved_; }

}  // namespace pyrace::py
