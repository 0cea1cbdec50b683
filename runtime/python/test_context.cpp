#include "runtime/python/test_context.h"

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "runtime/python/recorder.h"
#include "runtime/python/threads.h"

namespace pyrace::py {

namespace {

// The last value read and its node id: the variable changes three times per test,
// while stacks are captured by the thousand, so it is parsed only when it changed.
std::string g_last_value;
StrId g_last_test = 0;

}  // namespace

StrId CurrentTest(Recorder& rec) {
  if (!rec.options().pytest_ids) return 0;
  return TestOf(rec, rec.threads().CurrentOrNull());
}

StrId TestOf(Recorder& rec, const ThreadRec* t) {
  if (!rec.options().pytest_ids || !rec.recording() || t == nullptr) return 0;
  if (t->test != 0) return t->test;
  // Only the thread pytest runs tests in (the main one) is "in" the current test;
  // any other thread was started outside a test.
  if (t->tid != 0) return 0;
  const char* v = std::getenv("PYTEST_CURRENT_TEST");
  if (v == nullptr || *v == '\0') return 0;
  if (g_last_value == v) return g_last_test;
  g_last_value = v;
  std::string_view id(v);
  // "path::name (call)": the phase is not part of the node id.
  if (size_t space = id.rfind(" ("); space != std::string_view::npos && id.ends_with(")")) {
    id = id.substr(0, space);
  }
  g_last_test = rec.InternString(id);
  return g_last_test;
}

}  // namespace pyrace::py
