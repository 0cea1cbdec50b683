// The driver: order of findings, options, robustness against odd streams.
#include <gtest/gtest.h>

#include "runtime/analysis/analyzer.h"
#include "runtime/analysis/finding_sink.h"
#include "runtime/model/fingerprint.h"
#include "tests/runtime/analysis/script.h"

namespace pyrace::testing {
namespace {

TEST(Analyzer, FindingsAreOrderedByKindThenFirstOccurrence) {
  Script s;
  LockId a = s.NewLock(), b = s.NewLock(), c = s.NewLock();
  s.T(1).BadUnlock(c).At("z.py", 1);  // bad-release first in the stream
  s.T(1).Lock(c).At("z.py", 2).FrameEnd(c).At("z.py", 3).Exit();
  s.T(2).Lock(a).At("z.py", 10).Lock(b).At("z.py", 11).Unlock(b).Unlock(a);
  s.T(3).Lock(b).At("z.py", 20).Lock(a).At("z.py", 21).Unlock(a).Unlock(b);
  auto all = s.Analyze();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].kind, FindingKind::kLockOrderInversion);
  EXPECT_EQ(all[1].kind, FindingKind::kMissedRelease);
  EXPECT_EQ(all[2].kind, FindingKind::kBadRelease);
}

TEST(Analyzer, MaxFindingsCapsDistinctFindings) {
  Script s;
  LockId l = s.NewLock();
  for (uint32_t line = 1; line <= 5; ++line) s.T(1).BadUnlock(l).At("a.py", line);
  AnalysisOptions opts;
  opts.max_findings = 3;
  EXPECT_EQ(s.Analyze(opts).size(), 3u);
}

TEST(Analyzer, DeadlocksOffDisablesTheLockDetectors) {
  Script s;
  LockId l = s.NewLock();
  s.T(1).BadUnlock(l).At("a.py", 1);
  AnalysisOptions opts;
  opts.deadlocks = false;
  EXPECT_TRUE(s.Analyze(opts).empty());
}

TEST(Analyzer, ToleratesEventsForUnknownAndAbsurdIds) {
  Symbols syms;
  AnalysisOptions opts;  // every detector, the race detector included
  Analyzer analyzer(opts);
  Event e;
  e.kind = EventKind::kLockAcquired;
  e.tid = 3;
  e.obj = 77;  // never created
  e.stack = 999;  // not defined
  analyzer.OnEvent(e, syms);
  e.obj = uint64_t{1} << 40;
  analyzer.OnEvent(e, syms);
  e.tid = 0xFFFFFFF0u;
  analyzer.OnEvent(e, syms);
  e.kind = EventKind::kThreadStart;  // a child id no run could have
  e.tid = 0;
  e.obj = 0xFFFFFFFEu;
  analyzer.OnEvent(e, syms);
  e.kind = EventKind::kAccess;
  e.tid = 0xFFFFFFF0u;
  analyzer.OnEvent(e, syms);
  e.kind = EventKind::kLockAcquired;
  e.kind = EventKind::kLockRelease;
  e.flags = kFlagError;
  e.tid = 3;
  e.obj = 78;
  analyzer.OnEvent(e, syms);
  e.kind = static_cast<EventKind>(200);
  analyzer.OnEvent(e, syms);
  e.kind = EventKind::kDeadlockEnd;  // an end without a begin
  analyzer.OnEvent(e, syms);
  std::vector<Finding> found = analyzer.Finish(syms);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, FindingKind::kBadRelease);
  EXPECT_EQ(found[0].primary.line, 0u);
}

TEST(Analyzer, FingerprintsAreStableAndDistinct) {
  auto run = [](uint32_t line) {
    Script s;
    LockId l = s.NewLock();
    s.T(1).BadUnlock(l).At("a.py", line);
    return s.Analyze().at(0).fingerprint;
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));
  EXPECT_EQ(Fingerprint(""), "cbf29ce484222325");
}

}  // namespace
}  // namespace pyrace::testing

namespace pyrace::testing {
namespace {

TEST(Analyzer, FinishTwiceReturnsTheSameFindings) {
  Script s;
  LockId l = s.NewLock();
  s.T(1).BadUnlock(l).At("a.py", 1);
  s.T(1).Lock(l).At("a.py", 2).FrameEnd(l).At("a.py", 3);
  Analyzer analyzer(AnalysisOptions{});
  for (const Event& e : s.events()) analyzer.OnEvent(e, s.symbols());
  std::vector<Finding> first = analyzer.Finish(s.symbols());
  std::vector<Finding> second = analyzer.Finish(s.symbols());
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(first[0].fingerprint, second[0].fingerprint);
  EXPECT_EQ(first[1].fingerprint, second[1].fingerprint);
}

}  // namespace
}  // namespace pyrace::testing
