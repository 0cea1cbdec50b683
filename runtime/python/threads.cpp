#include "runtime/python/threads.h"


#include "runtime/python/recorder.h"
#include "runtime/trace/trace.h"

namespace pyrace::py {

thread_local ThreadRec* ThreadRegistry::current_ __attribute__((tls_model("initial-exec"))) = nullptr;

ThreadRec* ThreadRegistry::Create(std::string name, bool daemon) {
  auto t = std::make_unique<ThreadRec>();
  t->tid = static_cast<Tid>(all_.size());
  t->name = std::move(name);
  t->daemon = daemon;
  all_.push_back(std::move(t));
  return all_.back().get();
}

void ThreadRegistry::Attach(ThreadRec* t) {
  t->ident = PyThread_get_thread_ident();
  t->tstate = PyThreadState_Get();
  t->alive = true;
  current_ = t;
}

void ThreadRegistry::Detach(ThreadRec* t) {
  t->alive = false;
  t->tstate = nullptr;
  t->wait = WaitState{};
  if (current_ == t) current_ = nullptr;
}

// A thread started by C code or before pyrace was loaded: it gets an id and a name
// on its first lock operation. Calling into `threading` here could re-enter the
// lock wrappers, so the name is made up from the ident.
ThreadRec* ThreadRegistry::RegisterForeign() {
  unsigned long ident = PyThread_get_thread_ident();
  ThreadRec* t = Create("Dummy-" + std::to_string(ident), /*daemon=*/true);
  Attach(t);
  Recorder& rec = Recorder::Get();
  if (TraceWriter* w = rec.writer()) {
    ThreadInfo info;
    info.name = rec.InternString(t->name);
    w->DefineThread(t->tid, info);
  }
  return t;
}

}  // namespace pyrace::py
