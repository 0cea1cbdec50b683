// lock-order-inversion over lockdep's self-test patterns (each pair of letters is one
// thread taking the first lock, then the second while holding it; threads run one
// after another, so the cycle must be predicted) and their safe twins.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "runtime/analysis/describe.h"
#include "tests/runtime/analysis/script.h"

namespace pyrace::testing {
namespace {

// Thread t takes `outer` at line, then `inner` at line + 1 while holding it.
void Nest(Script& s, Tid t, LockId outer, LockId inner, uint32_t line) {
  s.T(t).Lock(outer).At("p.py", line, "take").Lock(inner).At("p.py", line + 1, "take");
  s.T(t).Unlock(inner).Unlock(outer);
}

std::vector<Finding> Inversions(Script& s, AnalysisOptions opts = {}) {
  return OfKind(s.Analyze(opts), FindingKind::kLockOrderInversion);
}

TEST(LockOrder, ABBA) {
  Script s;
  LockId a = s.NewLock("p.py", 1), b = s.NewLock("p.py", 2);
  Nest(s, 1, a, b, 10);
  Nest(s, 2, b, a, 20);
  auto found = Inversions(s);
  ASSERT_EQ(found.size(), 1u);
  const Finding& f = found[0];
  // The acquire that closed the cycle: Thread-2 taking A while holding B.
  EXPECT_EQ(Primary(f), "p.py:21");
  EXPECT_EQ(f.primary.function, "take");
  EXPECT_EQ(f.message,
            "lock-order inversion: L2 (created at p.py:2) and L1 (created at p.py:1) are taken "
            "in opposite orders by Thread-2 and Thread-1");
  EXPECT_EQ(f.severity, Severity::kError);
  EXPECT_EQ(f.count, 1u);
  ASSERT_GE(f.sections.size(), 4u);
  EXPECT_EQ(f.sections[0].title, "Lock L1 acquired here while holding L2 by thread T2 (Thread-2):");
  EXPECT_EQ(f.sections[0].frames.at(0).line, 21u);
  EXPECT_EQ(f.sections[1].title, "L2 was acquired here:");
  EXPECT_EQ(f.sections[1].frames.at(0).line, 20u);
  EXPECT_EQ(f.sections[2].title, "Lock L2 acquired here while holding L1 by thread T1 (Thread-1):");
  EXPECT_EQ(f.sections[2].frames.at(0).line, 11u);
  EXPECT_EQ(f.sections[3].title, "L1 was acquired here:");
  EXPECT_NE(Titles(f).find("Lock L1 created at:"), std::string::npos);
  EXPECT_NE(Titles(f).find("Lock L2 created at:"), std::string::npos);
  ASSERT_EQ(f.notes.size(), 1u);
  EXPECT_NE(f.notes[0].find("always acquire L2 before L1"), std::string::npos);
}

// The cycle as a graph for the HTML report: one node per lock, one highlighted edge per
// "acquired while holding" labelled by thread and line and tied to its stack; with
// hold_timeline, every hold of the cycle's locks (time = the script's event counter).
TEST(LockOrder, CycleGraphAndHolds) {
  Script s;
  LockId a = s.NewLock("p.py", 1), b = s.NewLock("p.py", 2), c = s.NewLock("p.py", 3);
  Nest(s, 1, a, b, 10);
  Nest(s, 2, b, c, 20);
  Nest(s, 3, c, a, 30);
  AnalysisOptions opts;
  EXPECT_TRUE(Inversions(s, opts).at(0).holds.empty());  // kept only when asked for
  opts.hold_timeline = true;
  auto found = Inversions(s, opts);
  ASSERT_EQ(found.size(), 1u);
  const Finding& f = found[0];
  ASSERT_EQ(f.graph.nodes.size(), 3u);
  ASSERT_EQ(f.graph.edges.size(), 3u);
  std::map<std::string, std::string> next;
  for (const GraphEdge& e : f.graph.edges) {
    EXPECT_TRUE(e.on_cycle);
    ASSERT_LT(e.from, 3u);
    ASSERT_LT(e.to, 3u);
    next[f.graph.nodes[e.from].id] = f.graph.nodes[e.to].id;
    ASSERT_GE(e.section, 0);
    const Section& sec = f.sections.at(static_cast<size_t>(e.section));
    EXPECT_EQ(sec.frames.at(0).line, e.site.line);
    EXPECT_NE(sec.title.find("acquired here while holding"), std::string::npos);
  }
  EXPECT_EQ(next, (std::map<std::string, std::string>{{"L1", "L2"}, {"L2", "L3"}, {"L3", "L1"}}));
  for (const GraphNode& n : f.graph.nodes) {
    EXPECT_EQ(n.kind, GraphNodeKind::kLock);
    EXPECT_TRUE(n.name.empty());  // the script's locks have no names
    EXPECT_EQ(n.note.rfind("created at p.py:", 0), 0u) << n.note;
  }
  bool labelled = false;
  for (const GraphEdge& e : f.graph.edges) labelled |= e.label == "Thread-2 at p.py:21";
  EXPECT_TRUE(labelled);
  // Each thread held its outer lock around its inner one.
  ASSERT_EQ(f.holds.size(), 6u);
  for (size_t i = 1; i < f.holds.size(); ++i) EXPECT_LE(f.holds[i - 1].begin_us, f.holds[i].begin_us);
  for (const LockHold& h : f.holds) {
    EXPECT_FALSE(h.open);
    EXPECT_LT(h.begin_us, h.end_us);
  }
  EXPECT_EQ(f.holds[0].thread_id, "T1");
  EXPECT_EQ(f.holds[0].lock_id, "L1");
  EXPECT_EQ(f.holds[0].site.line, 10u);
  EXPECT_EQ(f.holds[1].lock_id, "L2");
  EXPECT_GT(f.holds[0].end_us, f.holds[1].end_us);  // the outer hold ends after the inner one
}

TEST(LockOrder, ABBCCA) {
  Script s;
  LockId a = s.NewLock(), b = s.NewLock(), c = s.NewLock();
  Nest(s, 1, a, b, 10);
  Nest(s, 2, b, c, 20);
  Nest(s, 3, c, a, 30);
  auto found = Inversions(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "p.py:31");
  EXPECT_NE(found[0].message.find("L3 (created at t.py:103) -> L1 (created at t.py:101) -> "
                                  "L2 (created at t.py:102) -> L3 form a cycle taken by "
                                  "Thread-3, Thread-1 and Thread-2"),
            std::string::npos)
      << found[0].message;
}

TEST(LockOrder, ABCABC) {
  Script s;
  LockId a = s.NewLock(), b = s.NewLock(), c = s.NewLock();
  Nest(s, 1, a, b, 10);
  Nest(s, 2, c, a, 20);
  Nest(s, 3, b, c, 30);
  auto found = Inversions(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "p.py:31");
}

TEST(LockOrder, ABBCCDDA) {
  Script s;
  LockId a = s.NewLock(), b = s.NewLock(), c = s.NewLock(), d = s.NewLock();
  Nest(s, 1, a, b, 10);
  Nest(s, 2, b, c, 20);
  Nest(s, 3, c, d, 30);
  Nest(s, 4, d, a, 40);
  auto found = Inversions(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "p.py:41");
  EXPECT_EQ(std::count_if(found[0].sections.begin(), found[0].sections.end(),
                          [](const Section& sec) { return sec.title.find("while holding") != std::string::npos; }),
            4);
}

TEST(LockOrder, ABCDBDDA) {
  Script s;
  LockId a = s.NewLock(), b = s.NewLock(), c = s.NewLock(), d = s.NewLock();
  Nest(s, 1, a, b, 10);
  Nest(s, 2, c, d, 20);
  Nest(s, 3, b, d, 30);
  Nest(s, 4, d, a, 40);
  auto found = Inversions(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "p.py:41");
  // The cycle is D -> A -> B -> D; C -> D is not part of it.
  EXPECT_NE(found[0].message.find("-> L4 form a cycle taken by Thread-4, Thread-1 and Thread-3"),
            std::string::npos)
      << found[0].message;
  EXPECT_EQ(Titles(found[0]).find("Lock L3 created at:"), std::string::npos);
}

TEST(LockOrder, ABCDBCDA) {
  Script s;
  LockId a = s.NewLock(), b = s.NewLock(), c = s.NewLock(), d = s.NewLock();
  Nest(s, 1, a, b, 10);
  Nest(s, 2, c, d, 20);
  Nest(s, 3, b, c, 30);
  Nest(s, 4, d, a, 40);
  auto found = Inversions(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "p.py:41");
  EXPECT_NE(found[0].message.find("taken by Thread-4, Thread-1, Thread-3 and Thread-2"),
            std::string::npos)
      << found[0].message;
}

TEST(LockOrder, SingleThreadTakingBothOrdersIsNotReported) {
  Script s;
  LockId a = s.NewLock(), b = s.NewLock();
  Nest(s, 1, a, b, 10);
  Nest(s, 1, b, a, 20);
  EXPECT_TRUE(Inversions(s).empty());
}

TEST(LockOrder, CycleNeedsOneDistinctThreadPerEdge) {
  // Thread-1 takes A->B and B->C; only Thread-2 takes C->A. Three edges, two threads:
  // no three threads could each hold one lock and wait for the next.
  Script s;
  LockId a = s.NewLock(), b = s.NewLock(), c = s.NewLock();
  Nest(s, 1, a, b, 10);
  Nest(s, 1, b, c, 20);
  Nest(s, 2, c, a, 30);
  EXPECT_TRUE(Inversions(s).empty());
  // A third thread taking B->C makes the cycle real.
  Nest(s, 3, b, c, 40);
  auto found = Inversions(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].message.find("Thread-3"), std::string::npos) << found[0].message;
}

TEST(LockOrder, SecondThreadJoiningAnExistingEdgeMakesItReal) {
  Script s;
  LockId a = s.NewLock(), b = s.NewLock();
  Nest(s, 1, a, b, 10);
  Nest(s, 1, b, a, 20);
  Nest(s, 2, a, b, 30);
  auto found = Inversions(s);
  ASSERT_EQ(found.size(), 1u);
  // Shown with the threads that make it a deadlock: Thread-1 for B->A, Thread-2 for A->B.
  EXPECT_NE(Titles(found[0]).find("Lock L2 acquired here while holding L1 by thread T2 (Thread-2):"),
            std::string::npos)
      << Titles(found[0]);
  EXPECT_NE(Titles(found[0]).find("Lock L1 acquired here while holding L2 by thread T1 (Thread-1):"),
            std::string::npos);
}

TEST(LockOrder, GateLockHeldAtEveryEdgeIsNotReported) {
  Script s;
  LockId g = s.NewLock(), a = s.NewLock(), b = s.NewLock();
  s.T(1).Lock(g).Lock(a).Lock(b).Unlock(b).Unlock(a).Unlock(g);
  s.T(2).Lock(g).Lock(b).Lock(a).Unlock(a).Unlock(b).Unlock(g);
  EXPECT_TRUE(Inversions(s).empty());
}

TEST(LockOrder, GateMustGuardEveryOccurrence) {
  // Thread-3 takes A->B once without the gate: that occurrence can deadlock.
  Script s;
  LockId g = s.NewLock(), a = s.NewLock(), b = s.NewLock();
  s.T(1).Lock(g).Lock(a).Lock(b).Unlock(b).Unlock(a).Unlock(g);
  s.T(2).Lock(g).Lock(b).Lock(a).Unlock(a).Unlock(b).Unlock(g);
  s.T(3).Lock(a).Lock(b).Unlock(b).Unlock(a);
  EXPECT_EQ(Inversions(s).size(), 1u);
}

TEST(LockOrder, TryLockBackOffIsNotAnEdge) {
  Script s;
  LockId a = s.NewLock(), b = s.NewLock();
  Nest(s, 1, a, b, 10);
  s.T(2).Lock(b).TryFail(a).Unlock(b);        // back off
  s.T(2).Lock(b).TryLock(a).Unlock(a).Unlock(b);  // got it without blocking
  EXPECT_TRUE(Inversions(s).empty());
}

TEST(LockOrder, LockHeldByTryAcquireStillOrdersLaterBlockingAcquires) {
  Script s;
  LockId a = s.NewLock(), b = s.NewLock();
  s.T(1).TryLock(a).Lock(b).At("p.py", 11).Unlock(b).Unlock(a);
  Nest(s, 2, b, a, 20);
  EXPECT_EQ(Inversions(s).size(), 1u);
}

TEST(LockOrder, RLockReentryIsNotAnEdge) {
  Script s;
  LockId r = s.NewRLock(), a = s.NewLock();
  s.T(1).Lock(r).Lock(a).ReLock(r).ReUnlock(r).Unlock(a).Unlock(r);
  Nest(s, 2, r, a, 20);
  EXPECT_TRUE(Inversions(s).empty());
}

TEST(LockOrder, RLockFullyReleasedThenTakenUnderAnotherLockIsAnEdge) {
  Script s;
  LockId r = s.NewRLock(), a = s.NewLock();
  s.T(1).Lock(r).ReLock(r).ReUnlock(r).Unlock(r);
  s.T(1).Lock(a).Lock(r).At("p.py", 11).Unlock(r).Unlock(a);
  Nest(s, 2, r, a, 20);
  EXPECT_EQ(Inversions(s).size(), 1u);
}

TEST(LockOrder, TimedAcquireEdgeSaysWithTimeout) {
  Script s;
  LockId a = s.NewLock(), b = s.NewLock();
  Nest(s, 1, a, b, 10);
  s.T(2).Lock(b).At("p.py", 20).TimedLock(a).At("p.py", 21).Unlock(a).Unlock(b);
  auto found = Inversions(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].severity, Severity::kWarning);
  EXPECT_EQ(found[0].sections[0].title,
            "Lock L1 acquired here while holding L2 by thread T2 (Thread-2) (with timeout):");
}

TEST(LockOrder, SameSitesOnOtherInstancesAreCountedNotRepeated) {
  // transfer(a, b) / transfer(b, a) on two pairs of accounts: one report, count 2.
  Script s;
  LockId a1 = s.NewLock("bank.py", 5), b1 = s.NewLock("bank.py", 5);
  LockId a2 = s.NewLock("bank.py", 5), b2 = s.NewLock("bank.py", 5);
  Nest(s, 1, a1, b1, 10);
  Nest(s, 2, b1, a1, 10);
  Nest(s, 3, a2, b2, 10);
  Nest(s, 4, b2, a2, 10);
  auto found = Inversions(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].count, 2u);
  EXPECT_EQ(found[0].fingerprint.size(), 16u);
}

TEST(LockOrder, RepeatedAcquiresDoNotRepeatTheReport) {
  Script s;
  LockId a = s.NewLock(), b = s.NewLock();
  for (int i = 0; i < 100; ++i) {
    Nest(s, 1, a, b, 10);
    Nest(s, 2, b, a, 20);
  }
  auto found = Inversions(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].count, 1u);
}

TEST(LockOrder, LockClassViewGroupsInstancesByCreationSite) {
  // Each order is taken on different instances: only the class view sees the cycle.
  Script s;
  LockId a1 = s.NewLock("m.py", 1), b1 = s.NewLock("m.py", 2);
  LockId a2 = s.NewLock("m.py", 1), b2 = s.NewLock("m.py", 2);
  Nest(s, 1, a1, b1, 10);
  Nest(s, 2, b2, a2, 20);
  EXPECT_TRUE(Inversions(s).empty());
  AnalysisOptions by_class;
  by_class.lock_class_view = true;
  auto found = Inversions(s, by_class);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "p.py:21");
}

TEST(LockOrder, LockClassViewIgnoresNestingOfOneClass) {
  Script s;
  LockId a1 = s.NewLock("m.py", 1), a2 = s.NewLock("m.py", 1);
  Nest(s, 1, a1, a2, 10);
  Nest(s, 2, a2, a1, 20);
  AnalysisOptions by_class;
  by_class.lock_class_view = true;
  EXPECT_TRUE(Inversions(s, by_class).empty());
  EXPECT_EQ(Inversions(s).size(), 1u);  // the instances do form a cycle
}

TEST(LockOrder, HandedOffLockIsNoLongerHeldByItsAcquirer) {
  // Thread-1 takes A, Thread-2 releases it (a plain Lock used as a signal); Thread-1
  // then takes B: that is not "B while holding A".
  Script s;
  LockId a = s.NewLock(), b = s.NewLock();
  s.T(1).Lock(a);
  s.T(2).Unlock(a);
  s.T(1).Lock(b).Unlock(b);
  Nest(s, 3, b, a, 20);
  EXPECT_TRUE(Inversions(s).empty());
}

TEST(LockOrder, ShowsThreadStartSitesAndOtherHeldLocks) {
  Script s;
  LockId a = s.NewLock(), b = s.NewLock(), c = s.NewLock();
  s.T(0).Start(1).At("main.py", 50, "<module>").Start(2).At("main.py", 51, "<module>");
  s.T(1).Lock(c).Lock(a).Lock(b).At("p.py", 11).Unlock(b).Unlock(a).Unlock(c);
  Nest(s, 2, b, a, 20);
  auto found = Inversions(s);
  ASSERT_EQ(found.size(), 1u);
  std::string titles = Titles(found[0]);
  EXPECT_NE(titles.find("Lock L2 acquired here while holding L1, L3 by thread T1 (Thread-1):"),
            std::string::npos)
      << titles;
  EXPECT_NE(titles.find("Thread T1 (Thread-1) started at:"), std::string::npos) << titles;
  EXPECT_NE(titles.find("Thread T2 (Thread-2) started at:"), std::string::npos) << titles;
}

TEST(LockOrder, LongCycleThroughManyThreads) {
  Script s;
  std::vector<LockId> locks;
  for (int i = 0; i < 12; ++i) locks.push_back(s.NewLock());
  for (Tid t = 0; t < 12; ++t) Nest(s, t + 1, locks[t], locks[(t + 1) % 12], 10 * (t + 1));
  auto found = Inversions(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "p.py:121");
}

}  // namespace
}  // namespace pyrace::testing

namespace pyrace::testing {
namespace {

TEST(LockOrder, GilAgainstACMutexIsACycle) {
  // C code holding the GIL blocks on a mutex; another thread holding the mutex waits
  // for the GIL.
  Script s;
  LockId m = s.NewLock("ext.c", 10, LockKind::kCMutex);
  s.T(1).Lock(kGilLock).At("ext.c", 20, "call").Lock(m).At("ext.c", 21, "call").Unlock(m).Unlock(kGilLock);
  s.T(2).Lock(m).At("ext.c", 30, "worker").Lock(kGilLock).At("ext.c", 31, "worker");
  s.T(2).Unlock(kGilLock).Unlock(m);
  auto found = OfKind(s.Analyze(), FindingKind::kLockOrderInversion);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "ext.c:31");
  EXPECT_NE(found[0].message.find("GIL"), std::string::npos) << found[0].message;
}

TEST(LockOrder, PythonLockAcquiresLetTheGilGo) {
  Script s;
  LockId l = s.NewLock("a.py", 1);
  s.T(1).Lock(kGilLock).At("ext.c", 20).Lock(l).At("a.py", 5).Unlock(l).Unlock(kGilLock);
  s.T(2).Lock(l).At("a.py", 8).Lock(kGilLock).At("ext.c", 31).Unlock(kGilLock).Unlock(l);
  EXPECT_TRUE(OfKind(s.Analyze(), FindingKind::kLockOrderInversion).empty());
}

}  // namespace
}  // namespace pyrace::testing

namespace pyrace::testing {
namespace {

TEST(LockOrder, ManyAccountsTransferringBothWaysAreOneFinding) {
  // transfer(src, dst): with src.lock: with dst.lock — random pairs, four threads.
  Script s;
  std::vector<LockId> accounts;
  for (int i = 0; i < 100; ++i) accounts.push_back(s.NewLock("bank.py", 4));
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1000; ++i) {
    LockId src = accounts[rng() % accounts.size()], dst = accounts[rng() % accounts.size()];
    if (src == dst) continue;
    Tid t = 1 + static_cast<Tid>(rng() % 4);
    s.T(t).Lock(src).At("bank.py", 10, "transfer").Lock(dst).At("bank.py", 11, "transfer");
    s.T(t).Unlock(dst).Unlock(src);
  }
  auto found = OfKind(s.Analyze(), FindingKind::kLockOrderInversion);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "bank.py:11");
  EXPECT_GT(found[0].count, 10u);
}

}  // namespace
}  // namespace pyrace::testing

namespace pyrace::testing {
namespace {

TEST(LockOrder, ConditionAcquiresPointAtTheUsersWithStatement) {
  // `with cond:` acquires inside threading's Condition.__enter__; the user's line is
  // the primary location, the site of the message and of deduplication.
  const std::string threading = "/usr/lib/python3.11/threading.py";
  Script s;
  LockId a = s.NewRLock(), b = s.NewRLock();
  s.T(1).Lock(a).At({{threading, 272, "Condition.__enter__"}, {"app.py", 10, "ab"}});
  s.T(1).Lock(b).At({{threading, 272, "Condition.__enter__"}, {"app.py", 11, "ab"}});
  s.T(1).Unlock(b).Unlock(a);
  s.T(2).Lock(b).At({{threading, 272, "Condition.__enter__"}, {"app.py", 20, "ba"}});
  s.T(2).Lock(a).At({{threading, 272, "Condition.__enter__"}, {"app.py", 21, "ba"}});
  s.T(2).Unlock(a).Unlock(b);
  auto found = OfKind(s.Analyze(), FindingKind::kLockOrderInversion);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "app.py:21");
  EXPECT_EQ(found[0].primary.function, "ba");
  EXPECT_EQ(found[0].sections[0].frames.at(0).file, threading);  // the full stack stays
}

TEST(LockOrder, MachineryFramesOutsideTheStdlibAreTheUsers) {
  EXPECT_TRUE(IsSyncMachinery("/usr/lib/python3.11/threading.py"));
  EXPECT_TRUE(IsSyncMachinery("/root/.pyenv/versions/3.12.1/lib/python3.12/concurrent/futures/_base.py"));
  EXPECT_TRUE(IsSyncMachinery("/src/cpython/Lib/queue.py"));
  EXPECT_FALSE(IsSyncMachinery("/home/me/project/threading.py"));
  EXPECT_FALSE(IsSyncMachinery("/usr/lib/python3.11/logging/__init__.py"));
}

}  // namespace
}  // namespace pyrace::testing

namespace pyrace::testing {
namespace {

TEST(LockOrder, ModuleLevelNestingIsAnEdge) {
  // A = Lock(); B = Lock(); with A: with B: ... at module level, then a thread takes B, A.
  Script s;
  LockId a = s.NewLock("m.py", 1), b = s.NewLock("m.py", 2);
  s.T(0).Lock(a).At("m.py", 5, "<module>").Lock(b).At("m.py", 6, "<module>").Unlock(b).Unlock(a);
  Nest(s, 1, b, a, 20);
  EXPECT_EQ(Inversions(s).size(), 1u);
}

}  // namespace
}  // namespace pyrace::testing

namespace pyrace::testing {
namespace {

TEST(LockOrder, RingsLongerThanTheSearchLimitAreNotSearched) {
  // 64 threads, 64 locks: found. 65: beyond the limit (no thread ring that long).
  for (int n : {64, 65}) {
    Script s;
    std::vector<LockId> locks;
    for (int i = 0; i < n; ++i) locks.push_back(s.NewLock());
    for (int t = 0; t < n; ++t) {
      Nest(s, static_cast<Tid>(t + 1), locks[t], locks[(t + 1) % n], 10 * (t + 1));
    }
    EXPECT_EQ(Inversions(s).size(), n <= 64 ? 1u : 0u) << n;
  }
}

}  // namespace
}  // namespace pyrace::testing

namespace pyrace::testing {
namespace {

TEST(LockOrder, LockClassIsTheCreationStack) {
  // Bank and Account locks created in a loop (one stack each); one thread takes
  // bank1 -> account1, another account2 -> bank2: a class-level cycle.
  Script s;
  auto make = [&](uint32_t line, const char* init) {
    return s.NewLockWithStack(0, {{"bank.py", line, init}, {"main.py", 50, "<module>"}});
  };
  LockId bank1 = make(5, "Bank.__init__"), bank2 = make(5, "Bank.__init__");
  LockId acct1 = make(15, "Account.__init__"), acct2 = make(15, "Account.__init__");
  // A factory helper called for two different locks: two classes.
  LockId a = s.NewLockWithStack(0, {{"f.py", 2, "make_lock"}, {"f.py", 10, "<module>"}});
  LockId b = s.NewLockWithStack(0, {{"f.py", 2, "make_lock"}, {"f.py", 11, "<module>"}});
  Nest(s, 1, bank1, acct1, 30);
  Nest(s, 2, acct2, bank2, 40);
  Nest(s, 3, a, b, 60);
  Nest(s, 4, b, a, 70);
  AnalysisOptions by_class;
  by_class.lock_class_view = true;
  EXPECT_EQ(Inversions(s, by_class).size(), 2u);
  EXPECT_EQ(Inversions(s).size(), 1u);  // only a/b are instance-level
}

}  // namespace
}  // namespace pyrace::testing
