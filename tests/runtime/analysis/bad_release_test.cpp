// bad-release: refused releases, foreign RLock releases; plain Lock hand-offs are fine.
#include <gtest/gtest.h>

#include "tests/runtime/analysis/script.h"

namespace pyrace::testing {
namespace {

std::vector<Finding> Bad(Script& s) { return OfKind(s.Analyze(), FindingKind::kBadRelease); }

TEST(BadRelease, ReleasingAnUnlockedLock) {
  Script s;
  LockId l = s.NewLock("a.py", 1);
  s.T(1).Lock(l).At("a.py", 3).Unlock(l).At("a.py", 4).BadUnlock(l).At("a.py", 5, "twice");
  auto found = Bad(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "a.py:5");
  EXPECT_EQ(found[0].primary.function, "twice");
  EXPECT_EQ(found[0].message, "lock L1 (created at a.py:1) released by Thread-1 while it was not locked");
  EXPECT_EQ(found[0].sections.at(0).title, "Release of L1 by thread T1 (Thread-1):");
}

TEST(BadRelease, RLockReleasedByANonOwnerTheInterpreterRefused) {
  Script s;
  LockId r = s.NewRLock("a.py", 1);
  s.T(1).Lock(r).At("a.py", 3, "owner");
  s.T(2).BadUnlock(r).At("a.py", 9, "intruder");
  auto found = Bad(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "a.py:9");
  EXPECT_EQ(found[0].message,
            "RLock L1 (created at a.py:1) released by Thread-2, but it is owned by Thread-1");
  EXPECT_NE(Titles(found[0]).find("L1 was acquired by thread T1 (Thread-1) here:"), std::string::npos);
}

TEST(BadRelease, RLockReleasedByANonOwnerWithoutAnErrorFlag) {
  // The analysis' own check, for producers that do not flag refused releases.
  Script s;
  LockId r = s.NewRLock("a.py", 1);
  s.T(1).Lock(r).At("a.py", 3);
  s.T(2).Unlock(r).At("a.py", 9);
  auto found = Bad(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "a.py:9");
}

TEST(BadRelease, RLockReleasedWhileNotAcquired) {
  Script s;
  LockId r = s.NewRLock("a.py", 1);
  s.T(1).BadUnlock(r).At("a.py", 4);
  auto found = Bad(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].message, "RLock L1 (created at a.py:1) released by Thread-1 while it was not acquired");
}

TEST(BadRelease, PlainLockReleasedByAnotherThreadIsAllowed) {
  Script s;
  LockId l = s.NewLock();
  s.T(1).Lock(l).At("a.py", 3);
  s.T(2).Unlock(l).At("a.py", 9);
  EXPECT_TRUE(Bad(s).empty());
}

TEST(BadRelease, RepeatsAtOneSiteAreCounted) {
  Script s;
  LockId l = s.NewLock();
  for (int i = 0; i < 5; ++i) s.T(1).BadUnlock(l).At("a.py", 5);
  s.T(1).BadUnlock(l).At("a.py", 6);
  auto found = Bad(s);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].count, 5u);
  EXPECT_EQ(Primary(found[0]), "a.py:5");
  EXPECT_EQ(found[1].count, 1u);
}

TEST(BadRelease, RefusedReleaseDoesNotChangeTheHolder) {
  // After the refused release the owner still holds it: its own release is fine.
  Script s;
  LockId r = s.NewRLock();
  s.T(1).Lock(r).At("a.py", 3);
  s.T(2).BadUnlock(r).At("a.py", 9);
  s.T(1).Unlock(r).At("a.py", 4);
  auto found = Bad(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "a.py:9");
}

}  // namespace
}  // namespace pyrace::testing
