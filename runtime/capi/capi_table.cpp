#include "runtime/capi/capi_table.h"

namespace pyrace::capi {
namespace {

std::atomic<CapiSink*> g_sink{nullptr};
std::atomic<GilHeldFn> g_gil_held{nullptr};

CapiSink* Sink() { return g_sink.load(std::memory_order_acquire); }

bool GilHeld() {
  GilHeldFn f = g_gil_held.load(std::memory_order_acquire);
  return !f || f() != 0;
}

void OnRefcount(const PyraceCSite* site, void*) {
  if (CapiSink* s = Sink(); s && !GilHeld()) s->GilNotHeld(*site, true);
}
void OnApiCall(const PyraceCSite* site) {
  if (CapiSink* s = Sink(); s && !GilHeld()) s->GilNotHeld(*site, false);
}
void OnGilReleased(const PyraceCSite* site) {
  // PyGILState_Release may keep the GIL (nested Ensure): report only a real release.
  if (CapiSink* s = Sink(); s && !GilHeld()) s->GilReleased(*site);
}
void OnGilPreAcquire(const PyraceCSite* site) {
  if (CapiSink* s = Sink(); s && !GilHeld()) s->GilWaiting(*site);
}
void OnGilAcquired(const PyraceCSite* site) {
  if (CapiSink* s = Sink()) s->GilAcquired(*site);
}
void OnPreLock(const PyraceCSite* site, void* lock, int try_lock) {
  if (CapiSink* s = Sink()) s->MutexWaiting(*site, lock, try_lock != 0);
}
void OnPostLock(const PyraceCSite* site, void* lock, int try_lock, int acquired) {
  CapiSink* s = Sink();
  if (!s) return;
  if (acquired) {
    s->MutexAcquired(*site, lock, try_lock != 0);
  } else {
    s->MutexTryFailed(*site, lock);
  }
}
void OnPreUnlock(const PyraceCSite* site, void* lock) {
  if (CapiSink* s = Sink()) s->MutexReleasing(*site, lock);
}
void OnCreate(const PyraceCSite* site, void* lock) {
  if (CapiSink* s = Sink()) s->MutexCreated(*site, lock);
}
void OnDestroy(const PyraceCSite* site, void* lock) {
  if (CapiSink* s = Sink()) s->MutexDestroyed(*site, lock);
}

const PyraceCapiTable kTable = {
    PYRACE_CAPI_VERSION, OnRefcount, OnApiCall,   OnGilReleased, OnGilPreAcquire, OnGilAcquired,
    OnPreLock,           OnPostLock, OnPreUnlock, OnCreate,      OnDestroy,
};

}  // namespace

void Install(CapiSink* sink, GilHeldFn gil_held) {
  g_gil_held.store(gil_held, std::memory_order_release);
  g_sink.store(sink, std::memory_order_release);
}

const PyraceCapiTable* Table() { return &kTable; }

}  // namespace pyrace::capi
