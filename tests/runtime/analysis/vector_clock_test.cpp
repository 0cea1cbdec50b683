#include "runtime/analysis/vector_clock.h"

#include <gtest/gtest.h>

namespace pyrace {
namespace {

TEST(VectorClock, ReleaseAcquireOrdersEpochs) {
  VectorClock t1, t2, lock;
  t1.Tick(1);
  Epoch write = t1.EpochOf(1);
  EXPECT_FALSE(t2.Covers(write));
  lock.Assign(t1);  // release
  t1.Tick(1);
  t2.Join(lock);  // acquire
  EXPECT_TRUE(t2.Covers(write));
  EXPECT_FALSE(t2.Covers(t1.EpochOf(1)));
  EXPECT_TRUE(lock.LessOrEqual(t2));
  EXPECT_FALSE(t1.LessOrEqual(t2));
}

TEST(VectorClock, MissingEntriesReadAsZero) {
  VectorClock v;
  EXPECT_EQ(v.Get(40), 0u);
  v.Set(3, 7);
  EXPECT_EQ(v.size(), 4u);
  EXPECT_FALSE(v.Covers(Epoch{}));
  EXPECT_TRUE(v.Covers(Epoch{3, 7}));
  EXPECT_FALSE(v.Covers(Epoch{3, 8}));
}

}  // namespace
}  // namespace pyrace
