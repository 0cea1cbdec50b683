// The one fingerprint hash (runtime/model/fingerprint.h), checked against FNV-1a 64's
// published test vectors so a typo in its constants cannot pass.
#include <gtest/gtest.h>

#include "runtime/model/fingerprint.h"

namespace pyrace {
namespace {

TEST(Fingerprint, IsFnv1a64WithItsPublishedConstants) {
  EXPECT_EQ(kFnv1a64OffsetBasis, 0xcbf29ce484222325ull);
  EXPECT_EQ(kFnv1a64Prime, 0x100000001b3ull);
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(Fnv1a64("foobar"), 0x85944171f73967e8ull);
}

TEST(Fingerprint, IsSixteenHexDigits) {
  EXPECT_EQ(Fingerprint(""), "cbf29ce484222325");
  EXPECT_EQ(Fingerprint("a"), "af63dc4c8601ec8c");
  EXPECT_EQ(Hex16(0x1f), "000000000000001f");
}

TEST(Fingerprint, StartsFromAGivenBasis) {
  EXPECT_EQ(Fnv1a64("", 42), 42u);
  EXPECT_NE(Fnv1a64("a", 42), Fnv1a64("a"));
}

}  // namespace
}  // namespace pyrace
