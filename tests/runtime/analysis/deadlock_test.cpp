// deadlock: presenting the watchdog's kDeadlock* group.
#include <gtest/gtest.h>

#include "tests/runtime/analysis/script.h"

namespace pyrace::testing {
namespace {

std::vector<Finding> Deadlocks(Script& s) { return OfKind(s.Analyze(), FindingKind::kDeadlock); }

TEST(Deadlock, AAWithAPlainLock) {
  Script s;
  LockId l = s.NewLock("a.py", 1);
  s.T(1).Lock(l).At("a.py", 5, "outer");
  s.DeadlockBegin();
  s.T(1).WaitsLock(l).At({{"a.py", 9, "inner"}, {"a.py", 6, "outer"}});
  s.T(0).StackHere().At("a.py", 30, "<module>");
  s.DeadlockEnd();
  auto found = Deadlocks(s);
  ASSERT_EQ(found.size(), 1u);
  const Finding& f = found[0];
  EXPECT_EQ(Primary(f), "a.py:9");
  EXPECT_EQ(f.message, "deadlock: Thread-1 waits for lock L1 that it holds itself");
  std::string titles = Titles(f);
  EXPECT_NE(titles.find("Thread T1 (Thread-1) waits for lock L1 (held by this thread itself) here:"),
            std::string::npos)
      << titles;
  EXPECT_NE(titles.find("Lock L1 held by thread T1 (Thread-1), acquired here:"), std::string::npos);
  EXPECT_NE(titles.find("Thread T0 (MainThread) is here:"), std::string::npos);
  EXPECT_NE(f.notes.back().find("not re-entrant"), std::string::npos);
}

TEST(Deadlock, ABBACycle) {
  Script s;
  LockId a = s.NewLock("a.py", 1), b = s.NewLock("a.py", 2);
  s.T(1).Lock(a).At("a.py", 10);
  s.T(2).Lock(b).At("a.py", 20);
  s.DeadlockBegin();
  s.T(1).WaitsLock(b).At("a.py", 11);
  s.T(2).WaitsLock(a).At("a.py", 21);
  s.DeadlockEnd();
  auto found = Deadlocks(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "a.py:11");
  EXPECT_EQ(found[0].message,
            "deadlock: Thread-1 waits for lock L2 held by Thread-2, which waits for lock L1 held by Thread-1");
  EXPECT_NE(found[0].notes[0].find("Thread-1 -> L2 -> Thread-2; Thread-2 -> L1 -> Thread-1"),
            std::string::npos)
      << found[0].notes[0];
}

// The wait-for graph of an ABBA hang: thread -> the lock it waits for -> its holder,
// every edge on the cycle; the holds of both locks are still open.
TEST(Deadlock, ABBAWaitForGraph) {
  Script s;
  LockId a = s.NewLock("a.py", 1), b = s.NewLock("a.py", 2);
  s.T(1).Lock(a).At("a.py", 10);
  s.T(2).Lock(b).At("a.py", 20);
  s.DeadlockBegin();
  s.T(1).WaitsLock(b).At("a.py", 11);
  s.T(2).WaitsLock(a).At("a.py", 21);
  s.DeadlockEnd();
  AnalysisOptions opts;
  opts.hold_timeline = true;
  auto found = OfKind(s.Analyze(opts), FindingKind::kDeadlock);
  ASSERT_EQ(found.size(), 1u);
  const FindingGraph& g = found[0].graph;
  std::vector<std::string> ids;
  for (const GraphNode& n : g.nodes) ids.push_back(n.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"T1", "L2", "T2", "L1"}));  // in cycle order: a ring
  EXPECT_EQ(g.nodes[0].kind, GraphNodeKind::kThread);
  EXPECT_EQ(g.nodes[0].name, "Thread-1");
  EXPECT_EQ(g.nodes[1].kind, GraphNodeKind::kLock);
  std::vector<std::string> edges;
  for (const GraphEdge& e : g.edges) {
    EXPECT_TRUE(e.on_cycle);
    edges.push_back(g.nodes[e.from].id + ">" + g.nodes[e.to].id + " " + e.label);
  }
  EXPECT_EQ(edges, (std::vector<std::string>{"T1>L2 waits at a.py:11", "L2>T2 held since a.py:20",
                                             "T2>L1 waits at a.py:21", "L1>T1 held since a.py:10"}));
  ASSERT_EQ(found[0].holds.size(), 2u);
  for (const LockHold& h : found[0].holds) EXPECT_TRUE(h.open);
  EXPECT_EQ(found[0].holds[0].lock_id, "L1");
  EXPECT_EQ(found[0].holds[0].thread, "T1 (Thread-1)");
}

// A thread that waits for a lock nobody will release, while another runs on: the wait
// is drawn, but no cycle.
TEST(Deadlock, WaitForGraphWithoutCycleHighlightsNothing) {
  Script s;
  LockId a = s.NewLock("a.py", 1);
  s.T(2).Lock(a).At("a.py", 20);
  s.T(2).Exit();
  s.DeadlockBegin();
  s.T(1).WaitsLock(a).At("a.py", 11);
  s.DeadlockEnd();
  auto found = Deadlocks(s);
  ASSERT_EQ(found.size(), 1u);
  const FindingGraph& g = found[0].graph;
  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(g.nodes[2].note, "exited");
  ASSERT_EQ(g.edges.size(), 2u);
  for (const GraphEdge& e : g.edges) EXPECT_FALSE(e.on_cycle);
}

// A C extension's mutex against the GIL: the hint says how to break that cycle.
TEST(Deadlock, GilAgainstACMutexSaysToReleaseTheGil) {
  Script s;
  LockId gil = s.NewLock("ext.c", 0, LockKind::kGil), m = s.NewLock("ext.c", 5);
  s.T(1).Lock(gil).At("app.py", 3);
  s.T(2).Lock(m).At("ext.c", 30);
  s.DeadlockBegin();
  s.T(1).WaitsLock(m).At("ext.c", 20);
  s.T(2).WaitsLock(gil).At("ext.c", 31);
  s.DeadlockEnd();
  auto found = Deadlocks(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].notes.back().find("Py_BEGIN_ALLOW_THREADS"), std::string::npos) << found[0].notes.back();
}

TEST(Deadlock, SeedWaitersOnALockWhoseHolderExited) {
  Script s;
  LockId l = s.NewLock("seed.py", 3);
  s.T(5).Lock(l).At("seed.py", 12, "get_value").FrameEnd(l).At("seed.py", 19, "get_value").Exit();
  for (Tid t = 6; t <= 8; ++t) s.T(t).Start(t);  // make the threads known
  s.DeadlockBegin();
  s.T(6).WaitsLock(l).At("seed.py", 12, "get_value");
  s.T(7).WaitsLock(l).At("seed.py", 12, "get_value");
  s.T(8).WaitsLock(l).At("seed.py", 12, "get_value");
  s.DeadlockEnd();
  auto all = s.Analyze();
  auto found = OfKind(all, FindingKind::kDeadlock);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].message,
            "deadlock: Thread-6 waits for lock L1 held by Thread-5, which has exited; 2 more threads "
            "are stuck");
  std::string titles = Titles(found[0]);
  EXPECT_NE(titles.find("Thread T6 (Thread-6) waits for lock L1 (held by thread T5 (Thread-5), which "
                        "has exited), and so do 2 more threads (Thread-7 and Thread-8) here:"),
            std::string::npos)
      << titles;
  EXPECT_NE(titles.find("Lock L1 was acquired by thread T5 (Thread-5), which has exited, here:"),
            std::string::npos)
      << titles;
  EXPECT_NE(found[0].notes[0].find("wait-for graph: Thread-6, Thread-7 and Thread-8 -> L1 -> Thread-5 (exited)"),
            std::string::npos)
      << found[0].notes[0];
  // The early return is reported too.
  EXPECT_EQ(OfKind(all, FindingKind::kMissedRelease).size(), 1u);
}

TEST(Deadlock, ManyThreadsStuckAtOnePlaceStayReadable) {
  Script s;
  LockId l = s.NewLock("seed.py", 3);
  s.T(1).Lock(l).At("seed.py", 12).Exit();
  s.DeadlockBegin();
  for (Tid t = 2; t <= 30; ++t) s.T(t).WaitsLock(l).At("seed.py", 12);
  s.DeadlockEnd();
  auto found = Deadlocks(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(Titles(found[0]).find("and so do 28 more threads (Thread-3, Thread-4, Thread-5, Thread-6 and 24 more) here:"),
            std::string::npos)
      << Titles(found[0]);
  EXPECT_NE(found[0].notes[0].find("Thread-2, Thread-3, Thread-4, Thread-5 and 25 more -> L1 -> Thread-1 (exited)"),
            std::string::npos)
      << found[0].notes[0];
}

TEST(Deadlock, ShutdownWaitingForAStuckThread) {
  Script s;
  LockId l = s.NewLock("seed.py", 3);
  s.T(5).Lock(l).At("seed.py", 12).Exit();
  s.DeadlockBegin();
  s.T(0).WaitsAll().At("threading.py", 1590, "_shutdown");
  s.T(6).WaitsLock(l).At("seed.py", 12);
  s.DeadlockEnd();
  auto found = Deadlocks(s);
  ASSERT_EQ(found.size(), 1u);
  // The lock wait explains the hang and leads; the shutdown join follows.
  EXPECT_EQ(Primary(found[0]), "seed.py:12");
  EXPECT_EQ(found[0].message,
            "deadlock: Thread-6 waits for lock L1 held by Thread-5, which has exited; 1 more thread is stuck");
  EXPECT_NE(Titles(found[0]).find("Thread T0 (MainThread) waits for every non-daemon thread to finish"),
            std::string::npos);
}

TEST(Deadlock, OnlyTheShutdownJoinAndAHandOff) {
  Script s;
  s.DeadlockBegin();
  s.T(0).WaitsAll().At("threading.py", 1590, "_shutdown");
  s.T(1).StackHere().At("w.py", 4, "worker");
  s.DeadlockEnd();
  auto found = Deadlocks(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "threading.py:1590");
  EXPECT_EQ(found[0].message,
            "deadlock: MainThread waits for every non-daemon thread to finish (interpreter shutdown)");
}

TEST(Deadlock, JoinWhileHolding) {
  Script s;
  LockId l = s.NewLock("j.py", 1);
  s.T(0).Lock(l).At("j.py", 5).Start(1).At("j.py", 6);
  s.DeadlockBegin();
  s.T(0).WaitsJoin(1).At("j.py", 7, "<module>");
  s.T(1).WaitsLock(l).At("j.py", 3, "worker");
  s.DeadlockEnd();
  auto found = Deadlocks(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "j.py:3");
  EXPECT_EQ(found[0].message,
            "deadlock: Thread-1 waits for lock L1 held by MainThread, which waits for Thread-1 to finish");
}

TEST(Deadlock, SameHangReportedTwiceIsCounted) {
  // on_deadlock=continue may report a hang again; one finding with a count.
  Script s;
  LockId l = s.NewLock();
  s.T(1).Lock(l).At("a.py", 5);
  for (int i = 0; i < 2; ++i) {
    s.DeadlockBegin();
    s.T(1).WaitsLock(l).At("a.py", 9);
    s.DeadlockEnd();
  }
  auto found = Deadlocks(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].count, 2u);
}

TEST(Deadlock, GroupCutByTheEndOfTheTraceIsStillReported) {
  Script s;
  LockId l = s.NewLock();
  s.T(1).Lock(l).At("a.py", 5);
  s.DeadlockBegin();
  s.T(1).WaitsLock(l).At("a.py", 9);
  auto found = Deadlocks(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "a.py:9");
}

}  // namespace
}  // namespace pyrace::testing

namespace pyrace::testing {
namespace {

TEST(Deadlock, WaitInsideConditionMachineryNamesTheApiCalled) {
  // Semaphore(2) holders wait at a Barrier(3) whose third party waits for the
  // semaphore: the waits are on Condition waiter locks the waiters hold themselves.
  const std::string threading = "/usr/lib/python3.11/threading.py";
  Script s;
  LockId waiter = s.NewLock(threading, 318);
  s.T(1).Lock(waiter).At(threading, 320, "Condition.wait");
  s.DeadlockBegin();
  s.T(1).WaitsLock(waiter).At({{threading, 324, "Condition.wait"},
                               {threading, 700, "Barrier._wait"},
                               {threading, 680, "Barrier.wait"},
                               {"prog.py", 33, "w"}});
  s.DeadlockEnd();
  auto found = Deadlocks(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(Primary(found[0]), "prog.py:33");
  EXPECT_EQ(found[0].message,
            "deadlock: Thread-1 waits in Barrier.wait at prog.py:33 for another thread to notify, set, "
            "put or release, and every other thread is stuck");
}

}  // namespace
}  // namespace pyrace::testing
