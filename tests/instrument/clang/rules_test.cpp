// The call table and the suppression parser on their own.
#include <gtest/gtest.h>

#include "instrument/clang/c_lint.h"
#include "instrument/clang/gil_api.h"
#include "instrument/clang/suppress.h"

namespace pyrace::clint {
namespace {

TEST(GilApi, ClassifiesTransitionsLocksAndApi) {
  EXPECT_EQ(ClassifyCall("PyEval_SaveThread", true), CallRole::kSaveThread);
  EXPECT_EQ(ClassifyCall("PyEval_RestoreThread", true), CallRole::kRestoreThread);
  EXPECT_EQ(ClassifyCall("PyGILState_Ensure", true), CallRole::kGilStateEnsure);
  EXPECT_EQ(ClassifyCall("PyGILState_Release", true), CallRole::kGilStateRelease);
  EXPECT_EQ(ClassifyCall("pthread_mutex_lock", false), CallRole::kLockAcquire);
  EXPECT_EQ(ClassifyCall("PyThread_acquire_lock", true), CallRole::kLockTryAcquire);
  EXPECT_EQ(ClassifyCall("PyThread_release_lock", true), CallRole::kLockRelease);
  EXPECT_EQ(ClassifyCall("Py_DECREF", true), CallRole::kRefcount);
  EXPECT_EQ(ClassifyCall("PyErr_SetString", true), CallRole::kApi);
  EXPECT_EQ(ClassifyCall("_PyObject_GC_New", true), CallRole::kApi);
}

TEST(GilApi, DocumentedGilFreeFunctionsAreAllowed) {
  for (const char* n : {"PyMem_RawMalloc", "PyMem_RawFree", "PyThread_get_thread_ident",
                        "PyThread_tss_get", "PyGILState_Check", "Py_DecodeLocale",
                        "PyOS_snprintf", "_PyTime_GetMonotonicClock"}) {
    EXPECT_EQ(ClassifyCall(n, true), CallRole::kGilFree) << n;
  }
  EXPECT_EQ(ClassifyCall("PyMem_Malloc", true), CallRole::kApi);
  EXPECT_EQ(ClassifyCall("_PyTime_AsTimeval", true), CallRole::kApi);  // raises
  EXPECT_EQ(ClassifyCall("PyErr_SetString", false), CallRole::kOther);  // not Python's
  size_t n = 0;
  const GilFreeEntry* table = GilFreeTable(&n);
  ASSERT_GT(n, 10u);
  for (size_t i = 0; i < n; ++i) EXPECT_FALSE(table[i].why.empty()) << table[i].name;
}

TEST(Suppress, KindListsBareMarkersAndNextLine) {
  const char* text =
      "a();  // NOLINT(pyrace-gil-not-held)\n"
      "b();  // NOLINT(pyrace-missed-release, pyrace-gil-state-leak)\n"
      "c();  // NOLINT\n"
      "// NOLINTNEXTLINE(pyrace-*)\n"
      "d();\n"
      "// NOLINTNEXTLINE\n"
      "e();  // nothing\n"
      "f();  // NOLINTNEXTLINE(pyrace-gil-not-held)\n";
  EXPECT_TRUE(IsSuppressed(text, 1, "gil-not-held"));
  EXPECT_FALSE(IsSuppressed(text, 1, "missed-release"));
  EXPECT_TRUE(IsSuppressed(text, 2, "gil-state-leak"));
  EXPECT_FALSE(IsSuppressed(text, 2, "gil-not-held"));
  EXPECT_TRUE(IsSuppressed(text, 3, "lock-order-inversion"));
  EXPECT_TRUE(IsSuppressed(text, 5, "gil-not-held"));
  EXPECT_TRUE(IsSuppressed(text, 7, "missed-release"));
  EXPECT_FALSE(IsSuppressed(text, 8, "gil-not-held"));  // NEXTLINE does not apply to itself
}

TEST(Rules, EveryRuleHasAKindAndSummary) {
  std::set<std::string> codes;
  for (const CLintRule& r : CLintRules()) {
    EXPECT_TRUE(codes.insert(r.code).second) << r.code;
    EXPECT_NE(std::string(r.summary), "");
    EXPECT_NE(std::string(r.name), "");
    EXPECT_NE(std::string(r.description), "");
  }
  EXPECT_EQ(codes.size(), 10u);
}

}  // namespace
}  // namespace pyrace::clint
