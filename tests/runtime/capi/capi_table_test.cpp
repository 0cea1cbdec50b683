// runtime/capi: the table routes hooks to the sink and decides gil-not-held itself.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/capi/capi_table.h"

namespace pyrace::capi {
namespace {

struct Recording : CapiSink {
  std::vector<std::string> log;
  void Add(const char* what, const PyraceCSite& s) {
    log.push_back(std::string(what) + " " + s.file + ":" + std::to_string(s.line) + " " + s.what);
  }
  void GilNotHeld(const PyraceCSite& s, bool refcount) override {
    Add(refcount ? "gil-not-held(refcount)" : "gil-not-held(api)", s);
  }
  void GilReleased(const PyraceCSite& s) override { Add("gil-released", s); }
  void GilWaiting(const PyraceCSite& s) override { Add("gil-waiting", s); }
  void GilAcquired(const PyraceCSite& s) override { Add("gil-acquired", s); }
  void MutexCreated(const PyraceCSite& s, void*) override { Add("created", s); }
  void MutexDestroyed(const PyraceCSite& s, void*) override { Add("destroyed", s); }
  void MutexWaiting(const PyraceCSite& s, void*, bool t) override { Add(t ? "try" : "waiting", s); }
  void MutexAcquired(const PyraceCSite& s, void*, bool) override { Add("acquired", s); }
  void MutexTryFailed(const PyraceCSite& s, void*) override { Add("try-failed", s); }
  void MutexReleasing(const PyraceCSite& s, void*) override { Add("releasing", s); }
};

int g_held = 1;
int GilHeld() { return g_held; }

TEST(CapiTable, RoutesHooksAndJudgesTheGil) {
  Recording sink;
  Install(&sink, &GilHeld);
  const PyraceCapiTable* t = Table();
  ASSERT_EQ(t->version, static_cast<uintptr_t>(PYRACE_CAPI_VERSION));
  PyraceCSite dec{"ext.c", 15, 3, "checksum", "Py_DECREF"};
  PyraceCSite err{"ext.c", 21, 5, "read_byte", "PyErr_SetString"};
  PyraceCSite save{"ext.c", 12, 3, "checksum", "PyEval_SaveThread"};
  PyraceCSite lock{"ext.c", 30, 3, "send", "pthread_mutex_lock"};
  int m = 0;

  g_held = 1;
  t->refcount(&dec, nullptr);  // with the GIL: nothing to report
  t->api_call(&err);
  g_held = 0;
  t->gil_released(&save);
  t->refcount(&dec, nullptr);
  t->api_call(&err);
  t->mutex_pre_lock(&lock, &m, 0);
  t->mutex_post_lock(&lock, &m, 0, 1);
  t->mutex_post_lock(&lock, &m, 1, 0);
  t->mutex_pre_unlock(&lock, &m);
  std::vector<std::string> want = {
      "gil-released ext.c:12 PyEval_SaveThread",
      "gil-not-held(refcount) ext.c:15 Py_DECREF",
      "gil-not-held(api) ext.c:21 PyErr_SetString",
      "waiting ext.c:30 pthread_mutex_lock",
      "acquired ext.c:30 pthread_mutex_lock",
      "try-failed ext.c:30 pthread_mutex_lock",
      "releasing ext.c:30 pthread_mutex_lock",
  };
  EXPECT_EQ(sink.log, want);

  Install(nullptr, nullptr);  // uninstalled: hooks are no-ops
  t->refcount(&dec, nullptr);
  EXPECT_EQ(sink.log.size(), want.size());
}

}  // namespace
}  // namespace pyrace::capi
