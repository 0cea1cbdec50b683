// Lock-class summaries (the map step) and their merge (the reduce step): each Script is
// one process; an order taken in one and the reverse in another is an inversion only
// the merge can see, under the in-process detector's filters.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "runtime/analysis/analyzer.h"
#include "runtime/analysis/lock_class/merge.h"
#include "runtime/analysis/lock_class/summary.h"
#include "tests/runtime/analysis/script.h"

namespace pyrace::testing {
namespace {

// Thread t takes `outer` at line, then `inner` at line + 1 while holding it.
void Nest(Script& s, Tid t, LockId outer, LockId inner, uint32_t line) {
  s.T(t).Lock(outer).At("p.py", line, "take").Lock(inner).At("p.py", line + 1, "take");
  s.T(t).Unlock(inner).Unlock(outer);
}

// A process whose two locks are created at p.py:1 (Bank.lock) and p.py:2 (Log.lock).
struct Process {
  Script s;
  LockId a, b;
  Process() : a(s.NewLock("p.py", 1)), b(s.NewLock("p.py", 2)) {
    s.NameLock(a, "Bank.lock");
    s.NameLock(b, "Log.lock");
  }
};

struct Analysed {
  std::vector<Finding> findings;  // the process's own
  LockClassSummary summary;
};

Analysed Analyse(Script& s, uint32_t pid, const std::string& run = "") {
  Analyzer analyzer(AnalysisOptions{});
  for (const Event& e : s.events()) analyzer.OnEvent(e, s.symbols());
  Analysed out;
  out.findings = analyzer.Finish(s.symbols());
  out.summary = SummarizeLockClasses(analyzer, s.symbols(), ProcessIdentity{pid, {"p.py", std::to_string(pid)}, run, 0});
  return out;
}

std::vector<Finding> Merge(std::vector<LockClassSummary> summaries) {
  return OfKind(MergeLockClassSummaries(summaries), FindingKind::kLockOrderInversion);
}

TEST(Summary, ClassEdgesOverInstances) {
  // Two pairs of instances from the same two creation sites: one class edge, count 2.
  Script s;
  LockId a1 = s.NewLock("p.py", 1), b1 = s.NewLock("p.py", 2);
  LockId a2 = s.NewLock("p.py", 1), b2 = s.NewLock("p.py", 2);
  Nest(s, 1, a1, b1, 10);
  Nest(s, 2, a2, b2, 20);
  Analysed p = Analyse(s, 7);
  ASSERT_EQ(p.summary.edges.size(), 1u);
  const LockClassEdge& e = p.summary.edges[0];
  EXPECT_EQ(e.count, 2u);
  EXPECT_EQ(e.takers.size(), 2u);
  EXPECT_EQ(LockClassKey(p.summary.syms, e.from), "p.py:1|");
  EXPECT_EQ(LockClassKey(p.summary.syms, e.to), "p.py:2|");
  EXPECT_EQ(p.summary.syms.stack(e.takers[0].to_stack).at(0).line, 11u);
  EXPECT_EQ(p.summary.syms.thread_name(e.takers[0].tid), "Thread-1");
}

TEST(Summary, NameIsPartOfTheClass) {
  // One creation site (a factory), two names: two classes.
  Script s;
  LockId a = s.NewLock("p.py", 1), b = s.NewLock("p.py", 1);
  s.NameLock(a, "Bank.lock");
  s.NameLock(b, "Log.lock");
  Nest(s, 1, a, b, 10);
  Analysed p = Analyse(s, 7);
  ASSERT_EQ(p.summary.edges.size(), 1u);
  EXPECT_EQ(LockClassKey(p.summary.syms, p.summary.edges[0].from), "p.py:1|Bank.lock");
  EXPECT_EQ(LockClassKey(p.summary.syms, p.summary.edges[0].to), "p.py:1|Log.lock");
}

TEST(Merge, ANamelessThreadIsNamedAsInAProcesssOwnReport) {
  // A thread without a name (one C code started, or a main thread that never ran
  // threading) is MainThread or T<n>, as describe.h names it in one process's report.
  Process p1, p2;
  p1.s.Name(0, "");
  p2.s.Name(1, "");
  Nest(p1.s, 0, p1.a, p1.b, 10);
  Nest(p2.s, 1, p2.b, p2.a, 20);
  auto found = Merge({Analyse(p1.s, 101).summary, Analyse(p2.s, 202).summary});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].message.find("by T1 in process 202 and MainThread in process 101"), std::string::npos)
      << found[0].message;
}

TEST(Merge, OrdersTakenInTwoProcesses) {
  Process p1, p2;
  Nest(p1.s, 1, p1.a, p1.b, 10);
  Nest(p2.s, 1, p2.b, p2.a, 20);
  Analysed r1 = Analyse(p1.s, 101, "a.pyrt"), r2 = Analyse(p2.s, 202, "b.pyrt");
  EXPECT_TRUE(OfKind(r1.findings, FindingKind::kLockOrderInversion).empty());
  EXPECT_TRUE(OfKind(r2.findings, FindingKind::kLockOrderInversion).empty());
  auto found = Merge({r1.summary, r2.summary});
  ASSERT_EQ(found.size(), 1u);
  const Finding& f = found[0];
  EXPECT_EQ(f.message,
            "lock-order inversion across processes: Log.lock (L2) and Bank.lock (L1) are taken in opposite "
            "orders by Thread-1 in process 202 of b.pyrt and Thread-1 in process 101 of a.pyrt");
  // The acquire that closed the cycle: process 202 taking Bank.lock under Log.lock.
  EXPECT_EQ(Primary(f), "p.py:21");
  ASSERT_GE(f.sections.size(), 4u);
  EXPECT_EQ(f.sections[0].title,
            "Lock Bank.lock (L1) acquired here while holding Log.lock (L2) by thread T1 (Thread-1 in process 202 "
            "of b.pyrt):");
  EXPECT_EQ(f.sections[1].frames.at(0).line, 20u);
  EXPECT_EQ(f.sections[2].title,
            "Lock Log.lock (L2) acquired here while holding Bank.lock (L1) by thread T0 (Thread-1 in process 101 "
            "of a.pyrt):");
  EXPECT_EQ(f.sections[2].frames.at(0).line, 11u);
  EXPECT_EQ(f.sections[3].frames.at(0).line, 10u);
  ASSERT_EQ(f.notes.size(), 3u);
  EXPECT_EQ(f.notes[1], "process 202 of b.pyrt ran: p.py 202");
  EXPECT_EQ(f.notes[2], "process 101 of a.pyrt ran: p.py 101");
  EXPECT_EQ(f.pids, (std::vector<uint32_t>{202, 101}));
  EXPECT_FALSE(f.fingerprint.empty());
}

TEST(Merge, SameFingerprintAsTheInProcessFinding) {
  // The same two acquire sites inverted inside one process: one bug, one fingerprint.
  Process p1, p2, both;
  Nest(p1.s, 1, p1.a, p1.b, 10);
  Nest(p2.s, 1, p2.b, p2.a, 20);
  Nest(both.s, 1, both.a, both.b, 10);
  Nest(both.s, 2, both.b, both.a, 20);
  auto cross = Merge({Analyse(p1.s, 1).summary, Analyse(p2.s, 2).summary});
  auto inside = OfKind(Analyse(both.s, 3).findings, FindingKind::kLockOrderInversion);
  ASSERT_EQ(cross.size(), 1u);
  ASSERT_EQ(inside.size(), 1u);
  EXPECT_EQ(cross[0].fingerprint, inside[0].fingerprint);
}

TEST(Merge, ACycleOneProcessClosesIsNotReportedAgain) {
  Process p1, p2;
  Nest(p1.s, 1, p1.a, p1.b, 10);
  Nest(p1.s, 2, p1.b, p1.a, 20);
  Nest(p2.s, 1, p2.a, p2.b, 30);
  Analysed r1 = Analyse(p1.s, 101);
  EXPECT_EQ(OfKind(r1.findings, FindingKind::kLockOrderInversion).size(), 1u);
  EXPECT_TRUE(Merge({r1.summary, Analyse(p2.s, 202).summary}).empty());
  EXPECT_TRUE(Merge({r1.summary}).empty());
}

TEST(Merge, OneThreadTakingBothOrdersIsNoInversion) {
  // One process, one thread, both orders: not a deadlock, in the process or merged.
  Process p1;
  Nest(p1.s, 1, p1.a, p1.b, 10);
  Nest(p1.s, 1, p1.b, p1.a, 20);
  Analysed r1 = Analyse(p1.s, 101);
  EXPECT_TRUE(OfKind(r1.findings, FindingKind::kLockOrderInversion).empty());
  EXPECT_TRUE(Merge({r1.summary}).empty());
  EXPECT_TRUE(Merge({r1.summary, r1.summary}).size() == 1u)
      << "the same single-threaded run recorded twice is two processes: each order in one of them";
}

TEST(Merge, ThatThreadsReverseOrderAgainstAnotherProcess) {
  // Process 101's single thread takes both orders (no finding there); process 202
  // takes one of them: 202's a->b against 101's b->a is a real cross-process cycle.
  Process p1, p2;
  Nest(p1.s, 1, p1.a, p1.b, 10);
  Nest(p1.s, 1, p1.b, p1.a, 20);
  Nest(p2.s, 1, p2.a, p2.b, 30);
  auto found = Merge({Analyse(p1.s, 101).summary, Analyse(p2.s, 202).summary});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].message.find("process 101"), std::string::npos);
  EXPECT_NE(found[0].message.find("process 202"), std::string::npos);
}

TEST(Merge, GateLockOfTheSameClassSerializes) {
  Process p1, p2;
  LockId g1 = p1.s.NewLock("p.py", 3), g2 = p2.s.NewLock("p.py", 3);
  p1.s.T(1).Lock(g1).At("p.py", 9, "take");
  Nest(p1.s, 1, p1.a, p1.b, 10);
  p1.s.T(1).Unlock(g1);
  p2.s.T(1).Lock(g2).At("p.py", 19, "take");
  Nest(p2.s, 1, p2.b, p2.a, 20);
  p2.s.T(1).Unlock(g2);
  EXPECT_TRUE(Merge({Analyse(p1.s, 101).summary, Analyse(p2.s, 202).summary}).empty());
}

TEST(Merge, GateInOnlyOneProcessDoesNotSerialize) {
  Process p1, p2;
  LockId g1 = p1.s.NewLock("p.py", 3);
  p1.s.T(1).Lock(g1).At("p.py", 9, "take");
  Nest(p1.s, 1, p1.a, p1.b, 10);
  p1.s.T(1).Unlock(g1);
  Nest(p2.s, 1, p2.b, p2.a, 20);
  EXPECT_EQ(Merge({Analyse(p1.s, 101).summary, Analyse(p2.s, 202).summary}).size(), 1u);
}

TEST(Merge, TryLockIsNoEdge) {
  Process p1, p2;
  Nest(p1.s, 1, p1.a, p1.b, 10);
  p2.s.T(1).Lock(p2.b).At("p.py", 20, "take").TryLock(p2.a).At("p.py", 21, "take");
  p2.s.T(1).Unlock(p2.a).Unlock(p2.b);
  EXPECT_TRUE(Merge({Analyse(p1.s, 101).summary, Analyse(p2.s, 202).summary}).empty());
}

TEST(Merge, OtherCreationSitesAreOtherClasses) {
  Process p1;
  Script s2;
  LockId a = s2.NewLock("q.py", 1), b = s2.NewLock("q.py", 2);
  s2.NameLock(a, "Bank.lock");
  s2.NameLock(b, "Log.lock");
  Nest(p1.s, 1, p1.a, p1.b, 10);
  Nest(s2, 1, b, a, 20);
  EXPECT_TRUE(Merge({Analyse(p1.s, 101).summary, Analyse(s2, 202).summary}).empty());
}

TEST(Merge, ThreeProcessCycle) {
  Script s[3];
  LockId l[3][3];
  for (auto& script : s) {
    for (uint32_t i = 0; i < 3; ++i) l[&script - s][i] = script.NewLock("p.py", i + 1);
  }
  Nest(s[0], 1, l[0][0], l[0][1], 10);
  Nest(s[1], 1, l[1][1], l[1][2], 20);
  Nest(s[2], 1, l[2][2], l[2][0], 30);
  auto found = Merge({Analyse(s[0], 1).summary, Analyse(s[1], 2).summary, Analyse(s[2], 3).summary});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].message.find("form a cycle"), std::string::npos) << found[0].message;
  EXPECT_EQ(Primary(found[0]), "p.py:31");
}

TEST(Merge, ManyTracesOneFinding) {
  // The same pair of runs recorded 50 times: one finding with a count, not 50.
  std::vector<LockClassSummary> all;
  for (uint32_t i = 0; i < 50; ++i) {
    Process p1, p2;
    Nest(p1.s, 1, p1.a, p1.b, 10);
    Nest(p2.s, 1, p2.b, p2.a, 20);
    all.push_back(Analyse(p1.s, 2 * i).summary);
    all.push_back(Analyse(p2.s, 2 * i + 1).summary);
  }
  auto found = Merge(all);
  ASSERT_EQ(found.size(), 1u);
}

TEST(Summary, CountsEveryLockOfAClass) {
  // Three import locks made on one line, one of them nested: the class has three.
  Script s;
  LockId m1 = s.NewLock("bootstrap.py", 5), m2 = s.NewLock("bootstrap.py", 5), m3 = s.NewLock("bootstrap.py", 5);
  LockId pool = s.NewLock("p.py", 2);
  (void)m2;
  (void)m3;
  Nest(s, 1, m1, pool, 10);
  LockClassSummary sum = Analyse(s, 7).summary;
  ASSERT_EQ(sum.edges.size(), 1u);
  EXPECT_EQ(sum.instances.at(sum.edges[0].from), 3u);
  EXPECT_EQ(sum.instances.at(sum.edges[0].to), 1u);
  EXPECT_EQ(sum.instances.at(kGilLock), 1u);
}

TEST(Merge, AClassOfSeveralLocksInAProcessJoinsNoOtherProcess) {
  // Each process takes one module's import lock before the pool's lock, or after it,
  // and makes import locks for several modules on one line: orders on different
  // modules' locks, which one process would not call an inversion either.
  auto process = [](bool lock_first, uint32_t line) {
    Script s;
    LockId mine = s.NewLock("bootstrap.py", 5), other = s.NewLock("bootstrap.py", 5);
    (void)other;
    LockId pool = s.NewLock("p.py", 2);
    s.NameLock(pool, "Pool.lock");
    if (lock_first) Nest(s, 1, mine, pool, line);
    else Nest(s, 1, pool, mine, line);
    return Analyse(s, line).summary;
  };
  EXPECT_TRUE(Merge({process(true, 10), process(false, 20)}).empty());
  // The same orders with one lock of the class in each process are an inversion.
  auto single = [](bool lock_first, uint32_t line) {
    Script s;
    LockId mine = s.NewLock("bootstrap.py", 5), pool = s.NewLock("p.py", 2);
    s.NameLock(pool, "Pool.lock");
    if (lock_first) Nest(s, 1, mine, pool, line);
    else Nest(s, 1, pool, mine, line);
    return Analyse(s, line).summary;
  };
  EXPECT_EQ(Merge({single(true, 10), single(false, 20)}).size(), 1u);
  // One process with several against one with one: still not known to be one lock.
  EXPECT_TRUE(Merge({process(true, 10), single(false, 20)}).empty());
}

TEST(SummaryFormat, RoundTrip) {
  Process p1, p2;
  Nest(p1.s, 1, p1.a, p1.b, 10);
  Nest(p2.s, 1, p2.b, p2.a, 20);
  LockClassSummary s1 = Analyse(p1.s, 101, "a.pyrt").summary, s2 = Analyse(p2.s, 202, "b.pyrt").summary;
  std::string text = SerializeSummary(s1);
  LockClassSummary back;
  std::string error;
  ASSERT_TRUE(ParseSummary(text, &back, &error)) << error;
  EXPECT_EQ(SerializeSummary(back), text);
  EXPECT_EQ(back.process.pid, 101u);
  EXPECT_EQ(back.process.run, "a.pyrt");
  LockClassSummary back2;
  ASSERT_TRUE(ParseSummary(SerializeSummary(s2), &back2, &error)) << error;
  auto direct = Merge({s1, s2});
  auto parsed = Merge({back, back2});
  ASSERT_EQ(direct.size(), 1u);
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(direct[0].message, parsed[0].message);
  EXPECT_EQ(direct[0].fingerprint, parsed[0].fingerprint);
}

TEST(SummaryFormat, InstancesRoundTripAndOlderSummariesHaveOneEach) {
  Script s;
  LockId a1 = s.NewLock("p.py", 1), a2 = s.NewLock("p.py", 1), b = s.NewLock("p.py", 2);
  (void)a2;
  Nest(s, 1, a1, b, 10);
  LockClassSummary sum = Analyse(s, 7).summary;
  std::string text = SerializeSummary(sum);
  LockClassSummary back;
  std::string error;
  ASSERT_TRUE(ParseSummary(text, &back, &error)) << error;
  EXPECT_EQ(back.instances, sum.instances);
  EXPECT_EQ(back.instances.at(back.edges[0].from), 2u);
  // A summary written before the count: each lock entry has three fields.
  nlohmann::json old = nlohmann::json::parse(text);
  for (nlohmann::json& lock : old["locks"]) lock.erase(3);
  ASSERT_TRUE(ParseSummary(old.dump(), &back, &error)) << error;
  EXPECT_EQ(back.instances, (std::vector<uint32_t>(back.syms.locks.size(), 1)));
}

TEST(SummaryFormat, BadInputIsAnError) {
  Process p1;
  Nest(p1.s, 1, p1.a, p1.b, 10);
  std::string good = SerializeSummary(Analyse(p1.s, 101).summary);
  LockClassSummary out;
  std::string error;
  EXPECT_FALSE(ParseSummary("not json", &out, &error));
  EXPECT_EQ(error, "not a pyrace lock-class summary");
  EXPECT_FALSE(ParseSummary(R"({"format": "other"})", &out, &error));
  std::string newer = good;
  newer.replace(newer.find("\"version\":1"), 11, "\"version\":2");
  EXPECT_FALSE(ParseSummary(newer, &out, &error));
  EXPECT_EQ(error, "lock-class summary format 2 is not the one this pyrace reads (1)");
  // An edge naming a lock that is not defined.
  std::string bad = good;
  size_t at = bad.find("\"edges\":[[");
  ASSERT_NE(at, std::string::npos);
  bad.replace(at + 10, 1, "9");
  EXPECT_FALSE(ParseSummary(bad, &out, &error));
  EXPECT_EQ(error, "bad lock-class summary: lock 9 is not defined");
  // Cut anywhere: an error, never a crash.
  for (size_t n = 0; n < good.size(); n += 7) EXPECT_FALSE(ParseSummary(good.substr(0, n), &out, &error));
}

}  // namespace
}  // namespace pyrace::testing
