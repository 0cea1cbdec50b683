// The race detector over synthetic event scripts: each test is a small program's
// events in the order a run would record them.
#include "runtime/analysis/race/race_detector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace pyrace::race {
namespace {

// Builds the symbols and events of a run: threads, locks, locations, accesses whose
// stack is one frame "prog.py:<line> <function>".
class Script {
 public:
  explicit Script(RaceOptions opts = {}) : det_(opts) {
    syms_.threads.push_back({Str("MainThread"), kNoTid, kNoStack});
    syms_.locks.push_back({LockKind::kGil, 0, kNoStack});  // L0 = the GIL
  }

  StrId Str(const std::string& s) {
    syms_.strings.push_back(s);
    return static_cast<StrId>(syms_.strings.size() - 1);
  }
  StackId At(uint32_t line, const std::string& fn = "worker") {
    syms_.stacks.push_back({Frame{Str("prog.py"), Str(fn), line}});
    return static_cast<StackId>(syms_.stacks.size() - 1);
  }
  LocId Location(const std::string& desc, uint64_t object = 1) {
    syms_.locations.push_back({Str(desc), object});
    return syms_.locations.size() - 1;
  }
  LockId NewLock(uint32_t line, LockKind kind = LockKind::kLock) {
    syms_.locks.push_back({kind, 0, At(line, "<module>")});
    LockId l = static_cast<LockId>(syms_.locks.size() - 1);
    Emit(EventKind::kLockCreate, 0, l, 0, kNoStack);
    return l;
  }
  // A lock made while threading.py was imported, through its RLock() factory.
  LockId NewThreadingLock() {
    syms_.stacks.push_back({Frame{Str("/usr/lib/python3.11/threading.py"), Str("RLock"), 101},
                            Frame{Str("/usr/lib/python3.11/threading.py"), Str("<module>"), 1507}});
    syms_.locks.push_back({LockKind::kRLock, 0, static_cast<StackId>(syms_.stacks.size() - 1)});
    LockId l = static_cast<LockId>(syms_.locks.size() - 1);
    Emit(EventKind::kLockCreate, 0, l, 0, kNoStack);
    return l;
  }
  Tid Start(Tid parent, const std::string& name, uint32_t line = 100) {
    Tid t = static_cast<Tid>(syms_.threads.size());
    StackId where = At(line, "main");
    syms_.threads.push_back({Str(name), parent, where});
    Emit(EventKind::kThreadStart, parent, t, 0, where);
    return t;
  }
  void Join(Tid t, Tid child) { Emit(EventKind::kThreadJoin, t, child, 0, kNoStack); }
  void Exit(Tid t) { Emit(EventKind::kThreadExit, t, 0, 0, kNoStack); }
  void Acquire(Tid t, LockId l, uint8_t flags = 0) { Emit(EventKind::kLockAcquired, t, l, flags, kNoStack); }
  void Release(Tid t, LockId l, uint8_t flags = 0) { Emit(EventKind::kLockRelease, t, l, flags, kNoStack); }
  void TryFailed(Tid t, LockId l) { Emit(EventKind::kLockTryFailed, t, l, kFlagTimed, kNoStack); }
  void Send(Tid t, SyncId s) { Emit(EventKind::kHandoffSend, t, s, 0, kNoStack); }
  void Recv(Tid t, SyncId s) { Emit(EventKind::kHandoffRecv, t, s, 0, kNoStack); }
  void Read(Tid t, LocId loc, uint32_t line) { Emit(EventKind::kAccess, t, loc, 0, At(line)); }
  // `k in d`: a read that decides a write.
  void Check(Tid t, LocId loc, uint32_t line) { Emit(EventKind::kAccess, t, loc, kFlagReadModifyWrite, At(line)); }
  void Write(Tid t, LocId loc, uint32_t line) { Emit(EventKind::kAccess, t, loc, kFlagWrite, At(line)); }
  // list.append, set.add, inserting a new key: an atomic update that commutes.
  void Commuting(Tid t, LocId loc, uint32_t line) {
    Emit(EventKind::kAccess, t, loc, kFlagWrite | kFlagCommutes, At(line));
  }
  void Update(Tid t, LocId loc, uint32_t line) {
    Emit(EventKind::kAccess, t, loc, kFlagWrite | kFlagReadModifyWrite, At(line));
  }
  // A read of a container's shape (iteration, len) and an insert of a new key.
  void ShapeRead(Tid t, LocId loc, uint32_t line) { Emit(EventKind::kAccess, t, loc, kFlagShape, At(line)); }
  void ShapeInsert(Tid t, LocId loc, uint32_t line) {
    Emit(EventKind::kAccess, t, loc, kFlagWrite | kFlagCommutes | kFlagShape, At(line));
  }
  void Free(uint64_t object) { Emit(EventKind::kObjectFree, 0, object, 0, kNoStack); }

  std::vector<Finding> Finish() { return det_.Finish(syms_); }
  RaceStats stats() const { return det_.stats(); }

 private:
  // As the Analyzer does: the detector sees the lock state before the event.
  void Emit(EventKind k, Tid t, uint64_t obj, uint8_t flags, StackId stack) {
    Event e = MakeEvent(k, t, obj, stack, 0, flags, k == EventKind::kLockCreate ? LockKindOf(obj) : 0);
    det_.OnEvent(e, syms_, state_);
    state_.Apply(e, seq_++, syms_);
  }
  uint16_t LockKindOf(uint64_t l) const {
    return l < syms_.locks.size() ? static_cast<uint16_t>(syms_.locks[l].kind) : 0;
  }

  Symbols syms_;
  LockState state_;
  uint64_t seq_ = 0;
  RaceDetector det_;
};

std::vector<uint32_t> Lines(const std::vector<Finding>& fs) {
  std::vector<uint32_t> out;
  for (const Finding& f : fs) out.push_back(f.primary.line);
  return out;
}

bool Contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Baselines and suppressions saved from earlier runs key on the fingerprint: its form
// (location class, then the two accesses' top frames in string order) must not change.
TEST(RaceDetector, FingerprintKeepsItsForm) {
  Script s;
  LocId cache = s.Location("cache['a']");
  Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
  s.Write(t1, cache, 30);
  s.Read(t2, cache, 12);
  auto fs = s.Finish();
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].fingerprint, "data-race:cache[...]:prog.py:12:prog.py:30");
}

// The same two sites are one race whichever access ran second: one finding, at the
// same line, with the same class and fingerprint.
TEST(RaceDetector, EitherOrderOfThePairIsOneFinding) {
  auto run = [](bool write_first, int rounds) {
    Script s;
    LocId flag = s.Location("Job.result");
    Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
    bool w = write_first;
    for (int i = 0; i < rounds; ++i) {
      if (w) s.Write(t1, flag, 15);
      s.Read(t2, flag, 25);
      if (!w) s.Write(t1, flag, 15);
      w = !w;
    }
    return s.Finish();
  };
  for (auto [write_first, rounds] : {std::pair{true, 1}, {false, 1}, {true, 3}, {false, 3}}) {
    auto fs = run(write_first, rounds);
    ASSERT_EQ(Lines(fs), std::vector<uint32_t>{25}) << write_first << rounds;
    EXPECT_EQ(fs[0].fingerprint, "data-race:Job.result:prog.py:15:prog.py:25");
    EXPECT_TRUE(Contains(fs[0].message, "(unsynchronized publication)")) << fs[0].message;
    EXPECT_TRUE(Contains(fs[0].sections[1].title, write_first ? "Previous write" : "Later write"))
        << fs[0].sections[1].title;
  }
}

// A check-then-act and a blind write elsewhere: the same findings in all three orders
// (the write between the check and the act, before both, after both).
TEST(RaceDetector, CheckThenActAgainstABlindWriteIsOrderIndependent) {
  auto run = [](int where) {
    Script s;
    LocId conn = s.Location("Pool.conn");
    Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
    if (where == 0) s.Write(t2, conn, 9);
    s.Check(t1, conn, 7);  // if self.conn is None:
    if (where == 1) s.Write(t2, conn, 9);
    s.Write(t1, conn, 8);  //     self.conn = connect()
    if (where == 2) s.Write(t2, conn, 9);  // self.conn = None, elsewhere
    std::vector<std::string> out;
    for (const Finding& f : s.Finish()) {
      out.push_back(std::to_string(f.primary.line) + " " + f.fingerprint + (Contains(f.message, "check-then-act") ? " cta" : ""));
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  const std::vector<std::string> want = {"7 data-race:Pool.conn:prog.py:7:prog.py:9",
                                         "8 data-race:Pool.conn:prog.py:8:prog.py:9 cta"};
  for (int where : {0, 1, 2}) EXPECT_EQ(run(where), want) << where;
}

// Iterating or measuring a container while another thread changes its size.
TEST(RaceDetector, AShapeReadAgainstAShapeWriteIsASizeChange) {
  Script s;
  LocId handlers = s.Location("handlers");
  Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
  s.ShapeRead(t2, handlers, 25);  // for name in handlers:
  s.ShapeInsert(t1, handlers, 15);  // handlers[name] = h
  s.ShapeRead(t2, handlers, 25);
  auto fs = s.Finish();
  ASSERT_EQ(Lines(fs), std::vector<uint32_t>{25});
  EXPECT_TRUE(Contains(fs[0].message, "(size change during iteration) on handlers")) << fs[0].message;
}

// append/append, add/add: nothing can be lost whatever the order. An order-dependent
// write (pop) or a read of the shape (len) against them still races.
TEST(RaceDetector, CommutingUpdatesDoNotRaceWithEachOtherOnly) {
  Script s;
  LocId results = s.Location("results");
  Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
  for (int i = 0; i < 3; ++i) {
    s.Commuting(t1, results, 10);
    s.Commuting(t2, results, 10);
  }
  EXPECT_TRUE(s.Finish().empty());
  s.Write(t1, results, 20);  // results.pop()
  s.Read(t2, results, 30);   // len(results)
  EXPECT_EQ(Lines(s.Finish()), (std::vector<uint32_t>{20, 30}));
}

// A plain write after the same thread's commuting update, in the same epoch, is news.
TEST(RaceDetector, APlainWriteAfterACommutingOneIsStillChecked) {
  Script s;
  LocId results = s.Location("results");
  Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
  s.Commuting(t2, results, 10);
  s.Commuting(t1, results, 10);
  s.Write(t1, results, 20);
  EXPECT_EQ(Lines(s.Finish()), std::vector<uint32_t>{20});
}

TEST(RaceDetector, UnlockedCounterIsALostUpdate) {
  Script s;
  LocId g = s.Location("counter.g_num");
  Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
  for (int i = 0; i < 3; ++i) {
    s.Update(t1, g, 12);
    s.Update(t2, g, 12);
  }
  auto fs = s.Finish();
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].kind, FindingKind::kDataRace);
  EXPECT_EQ(fs[0].primary.file, "prog.py");
  EXPECT_EQ(fs[0].primary.line, 12u);
  EXPECT_TRUE(Contains(fs[0].message, "lost update")) << fs[0].message;
  EXPECT_TRUE(Contains(fs[0].message, "counter.g_num")) << fs[0].message;
  EXPECT_EQ(fs[0].count, 5u);  // every update after the first races with the other thread's
  EXPECT_TRUE(Contains(fs[0].notes[0], "No lock is held")) << fs[0].notes[0];
}

// Condition.wait(timeout) that times out leaves its waiter Lock locked and drops it:
// the waiting thread does not hold a mutex afterwards.
TEST(RaceDetector, TimedOutConditionWaiterIsNotAHeldLock) {
  Script s;
  LocId g = s.Location("counter.g_num");
  Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
  LockId waiter = s.NewLock(320);
  s.Acquire(t1, waiter);
  s.TryFailed(t1, waiter);
  s.Update(t1, g, 12);
  s.Update(t2, g, 12);
  auto fs = s.Finish();
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_TRUE(Contains(fs[0].notes[0], "No lock is held")) << fs[0].notes[0];
}

// A lock object freed while held (kFlagFreed, emitted for its holder) was released by
// nobody: it orders nothing (and leaves the holder's lock set).
TEST(RaceDetector, LockFreedWhileHeldIsNoEdge) {
  Script s;
  LocId g = s.Location("counter.g_num");
  Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
  LockId m = s.NewLock(7);
  s.Acquire(t1, m);
  s.Update(t1, g, 12);
  s.Release(t1, m, kFlagFreed);
  s.Acquire(t2, m);
  s.Update(t2, g, 12);
  EXPECT_EQ(Lines(s.Finish()), std::vector<uint32_t>{12});
}

// threading's own registry lock (_active_limbo_lock) is taken by a thread at its end
// and by the next Thread.start(): a thread that finished before the next one started
// must still race with it.
TEST(RaceDetector, ThreadingsOwnBookkeepingLockOrdersNothing) {
  Script s;
  LockId limbo = s.NewThreadingLock();
  LocId g = s.Location("counter.g_num");
  Tid t1 = s.Start(0, "Thread-1");
  s.Update(t1, g, 12);
  s.Acquire(t1, limbo);  // Thread._delete
  s.Release(t1, limbo);
  s.Acquire(0, limbo);  // the next Thread.start
  s.Release(0, limbo);
  Tid t2 = s.Start(0, "Thread-2");
  s.Update(t2, g, 12);
  EXPECT_EQ(Lines(s.Finish()), std::vector<uint32_t>{12});
}

TEST(RaceDetector, CounterUnderOneLockIsClean) {
  Script s;
  LockId m = s.NewLock(3);
  LocId g = s.Location("counter.g_num");
  Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
  for (int i = 0; i < 3; ++i) {
    for (Tid t : {t1, t2}) {
      s.Acquire(t, m);
      s.Update(t, g, 12);
      s.Release(t, m);
    }
  }
  EXPECT_TRUE(s.Finish().empty());
}

TEST(RaceDetector, LockAroundOnlyTheReadRacesAtTheWriteAndNamesTheLock) {
  Script s;
  LockId m = s.NewLock(3);
  LocId g = s.Location("counter.g_num");
  Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
  for (Tid t : {t1, t2, t1, t2}) {
    s.Acquire(t, m);
    s.Read(t, g, 14);  // tmp = g_num, under the lock
    s.Release(t, m);
    s.Write(t, g, 15);  // g_num = tmp + 1, outside it
  }
  auto fs = s.Finish();
  ASSERT_FALSE(fs.empty());
  for (const Finding& f : fs) EXPECT_EQ(f.kind, FindingKind::kDataRace);
  EXPECT_EQ(fs[0].primary.line, 15u);
  EXPECT_TRUE(Contains(fs[0].notes[0], "Lock L1 (created at prog.py:3)")) << fs[0].notes[0];
  EXPECT_TRUE(Contains(fs[0].notes[0], "hold it at prog.py:15")) << fs[0].notes[0];
}

TEST(RaceDetector, DifferentLocksPerThreadDoNotOrderAndAreNamed) {
  Script s;
  LockId a = s.NewLock(3), b = s.NewLock(4);
  LocId g = s.Location("Account.balance");
  Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
  s.Acquire(t1, a);
  s.Update(t1, g, 30);
  s.Release(t1, a);
  s.Acquire(t2, b);
  s.Update(t2, g, 20);
  s.Release(t2, b);
  auto fs = s.Finish();
  ASSERT_EQ(Lines(fs), std::vector<uint32_t>{20});
  EXPECT_TRUE(Contains(fs[0].notes[0], "hold different locks")) << fs[0].notes[0];
  EXPECT_TRUE(Contains(fs[0].sections[0].title, "holding lock L2")) << fs[0].sections[0].title;
  EXPECT_TRUE(Contains(fs[0].sections[1].title, "holding lock L1")) << fs[0].sections[1].title;
}

TEST(RaceDetector, QueueHandOffOrdersProducerAndConsumer) {
  Script s;
  LocId item = s.Location("Job.payload", 7);
  Tid prod = s.Start(0, "producer"), cons = s.Start(0, "consumer");
  s.Write(prod, item, 10);  // job.payload = ...
  s.Send(prod, 42);         // q.put(job)
  s.Recv(cons, 42);         // q.get()
  s.Read(cons, item, 20);
  s.Write(cons, item, 21);
  EXPECT_TRUE(s.Finish().empty());
}

TEST(RaceDetector, ReceiveBeforeAnySendGivesNoOrder) {
  Script s;
  LocId item = s.Location("Job.payload", 7);
  Tid prod = s.Start(0, "producer"), cons = s.Start(0, "consumer");
  s.Recv(cons, 42);
  s.Write(prod, item, 10);
  s.Send(prod, 42);
  s.Read(cons, item, 20);
  auto fs = s.Finish();
  ASSERT_EQ(Lines(fs), std::vector<uint32_t>{20});
  EXPECT_TRUE(Contains(fs[0].message, "unsynchronized publication")) << fs[0].message;
}

TEST(RaceDetector, JoinOrdersTheChildBeforeTheJoiner) {
  Script s;
  LocId g = s.Location("counter.g_num");
  Tid t1 = s.Start(0, "Thread-1");
  s.Update(t1, g, 12);
  s.Exit(t1);
  s.Join(0, t1);
  s.Read(0, g, 40);  // print(g_num) after t.join()
  EXPECT_TRUE(s.Finish().empty());
}

TEST(RaceDetector, ReadWithoutJoinRaces) {
  Script s;
  LocId g = s.Location("counter.g_num");
  Tid t1 = s.Start(0, "Thread-1");
  s.Update(t1, g, 12);
  s.Read(0, g, 40);  // print(g_num) after time.sleep(2): sleeping is not an edge
  ASSERT_EQ(Lines(s.Finish()), std::vector<uint32_t>{40});
}

TEST(RaceDetector, ForkJoinOrdersParentBeforeChildrenAndChildrenBeforeParent) {
  Script s;
  LocId g = s.Location("results[...]");
  s.Write(0, g, 5);  // set up before start()
  Tid a = s.Start(0, "A"), b = s.Start(0, "B");
  s.Read(a, g, 10);
  s.Read(b, g, 11);  // concurrent reads are fine
  s.Exit(a);
  s.Exit(b);
  s.Join(0, a);
  s.Join(0, b);
  s.Write(0, g, 20);  // after both joins
  Tid c = s.Start(0, "C");
  s.Update(c, g, 30);  // a second fork after the join
  EXPECT_TRUE(s.Finish().empty());
}

TEST(RaceDetector, ForkWithoutJoinOfOneChildRaces) {
  Script s;
  LocId g = s.Location("state.done");
  Tid a = s.Start(0, "A"), b = s.Start(0, "B");
  s.Write(a, g, 10);
  s.Write(b, g, 11);
  s.Join(0, a);
  s.Write(0, g, 20);  // b was never joined: its write is unordered with this one
  auto fs = s.Finish();
  // Two plain writes: reported at the site first in the source.
  ASSERT_EQ(Lines(fs), (std::vector<uint32_t>{10, 11}));
  EXPECT_TRUE(Contains(fs[0].message, "conflicting writes")) << fs[0].message;
}

TEST(RaceDetector, CheckThenActOnADictKeyIsOneReport) {
  Script s;
  LocId k = s.Location("cache[<str 'k'>]", 9);
  Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
  s.Check(t1, k, 7);  // if key not in cache:
  s.Write(t1, k, 8);   //     cache[key] = compute()
  s.Check(t2, k, 7);
  s.Write(t2, k, 8);
  auto fs = s.Finish();
  ASSERT_EQ(Lines(fs), std::vector<uint32_t>{8});
  EXPECT_TRUE(Contains(fs[0].message, "check-then-act")) << fs[0].message;
  ASSERT_GE(fs[0].sections.size(), 3u);
  // First seen when T2 checked after T1 acted: T1's act, with T1's check.
  EXPECT_TRUE(Contains(fs[0].sections[2].title, "Checked by thread T1")) << fs[0].sections[2].title;
  EXPECT_EQ(fs[0].sections[2].frames.at(0).line, 7u);
}

TEST(RaceDetector, CheckThenActIsReportedAtTheActWhicheverThreadWasFirst) {
  Script s;
  Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
  LocId a = s.Location("cache[<str 'a'>]", 9), b = s.Location("cache[<str 'b'>]", 9);
  // Key a: both check before either acts.
  s.Check(t1, a, 7);
  s.Check(t2, a, 7);
  s.Write(t1, a, 8);
  // Key b: t2 checks after t1 acted, finds the key and does not act: the same bug.
  s.Check(t1, b, 7);
  s.Write(t1, b, 8);
  s.Check(t2, b, 7);
  auto fs = s.Finish();
  ASSERT_EQ(Lines(fs), (std::vector<uint32_t>{8}));
  EXPECT_TRUE(Contains(fs[0].message, "check-then-act")) << fs[0].message;
  EXPECT_EQ(fs[0].count, 2u);
}

// `if self.conn is None: self.conn = object()` then `return self.conn` in two threads.
// When the other thread's store lands between this thread's store and its read, the
// read returns the other's value: the same bug as the two stores, whichever order the
// run had, so no second report at the read.
TEST(RaceDetector, AReadAfterItsThreadsOwnRacingStoreIsThatRace) {
  auto run = [](bool other_store_last) {
    Script s;
    Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
    LocId conn = s.Location("Client.conn");
    s.Check(t1, conn, 15);
    s.Check(t2, conn, 15);
    s.Write(t1, conn, 16);
    s.Write(t2, conn, 16);
    if (other_store_last) {
      s.Read(t1, conn, 17);  // reads t2's store
      s.Read(t2, conn, 17);
    } else {
      s.Read(t2, conn, 17);  // reads its own store
      s.Read(t1, conn, 17);
    }
    return Lines(s.Finish());
  };
  EXPECT_EQ(run(true), std::vector<uint32_t>{16});
  EXPECT_EQ(run(false), std::vector<uint32_t>{16});
}

// A third thread's read of either store is a race of its own.
TEST(RaceDetector, AnotherThreadsReadAfterRacingStoresIsStillReported) {
  Script s;
  Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2"), t3 = s.Start(0, "Thread-3");
  LocId state = s.Location("Job.state");
  s.Write(t1, state, 10);
  s.Write(t2, state, 11);
  s.Read(t3, state, 30);
  EXPECT_EQ(Lines(s.Finish()), (std::vector<uint32_t>{10, 30}));
}

TEST(RaceDetector, OnlyTheCheckSeenIsACheckThenActAtTheCheck) {
  Script s;
  Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
  LocId b = s.Location("cache[<str 'b'>]", 9);
  s.Write(t1, b, 8);  // a blind store: no check before it
  s.Check(t2, b, 7);
  auto fs = s.Finish();
  ASSERT_EQ(Lines(fs), (std::vector<uint32_t>{7}));
  EXPECT_TRUE(Contains(fs[0].message, "unsynchronized publication")) << fs[0].message;
  EXPECT_TRUE(Contains(fs[0].sections[0].title, "Check of cache")) << fs[0].sections[0].title;
}

TEST(RaceDetector, KeysOfOneDictAtOneSitePairAreOneReportWithACount) {
  Script s;
  Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
  for (int i = 0; i < 4; ++i) {
    LocId k = s.Location("cache[<int " + std::to_string(i) + ">]", 9);
    s.Write(t1, k, 8);
    s.Write(t2, k, 8);
  }
  auto fs = s.Finish();
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].count, 4u);
}

TEST(RaceDetector, TheGilIsNotAnEdge) {
  Script s;
  LocId g = s.Location("counter.g_num");
  Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
  s.Acquire(t1, kGilLock);
  s.Update(t1, g, 12);
  s.Release(t1, kGilLock);
  s.Acquire(t2, kGilLock);
  s.Update(t2, g, 12);
  s.Release(t2, kGilLock);
  ASSERT_EQ(Lines(s.Finish()), std::vector<uint32_t>{12});
}

TEST(RaceDetector, LockReleasedByAnotherThreadStillOrders) {
  Script s;
  LockId sem = s.NewLock(3);
  LocId g = s.Location("box.value");
  Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
  s.Acquire(t2, sem);  // t2 takes the lock as a signal
  s.Write(t1, g, 10);
  s.Release(t1, sem);  // t1 releases it: a plain Lock allows that
  s.Acquire(t2, sem);
  s.Read(t2, g, 20);
  EXPECT_TRUE(s.Finish().empty());
}

TEST(RaceDetector, ALockUsedAsASignalIsNeverAGuard) {
  Script s;
  LocId g = s.Location("counter.g_num");
  Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
  LockId waiter = s.NewLock(3);  // Condition.wait: acquire, acquire again, notify releases
  s.Acquire(t1, waiter);
  s.Release(t2, waiter);
  s.Acquire(t1, waiter);  // t1 is woken and never releases it
  s.Update(t1, g, 12);
  s.Update(t2, g, 12);
  auto fs = s.Finish();
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].sections[1].title,
            "Previous read-modify-write of counter.g_num by thread T1 (Thread-1), holding no locks:");
}

TEST(RaceDetector, ReentrantAcquireKeepsTheLockHeldUntilTheOuterRelease) {
  Script s;
  LockId r = s.NewLock(3, LockKind::kRLock);
  LocId g = s.Location("Account.balance");
  Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
  s.Acquire(t1, r);
  s.Acquire(t1, r, kFlagReentrant);
  s.Release(t1, r, kFlagReentrant);
  s.Update(t1, g, 10);  // still under the outer acquisition
  s.Release(t1, r);
  s.Acquire(t2, r);
  s.Update(t2, g, 10);
  s.Release(t2, r);
  EXPECT_TRUE(s.Finish().empty());
}

TEST(RaceDetector, AFreedObjectsLocationsStartOver) {
  Script s;
  Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
  LocId a = s.Location("Point.x", 5);
  s.Write(t1, a, 10);
  s.Free(5);
  // The same id again (the runtime may reuse it for an object at the same address).
  s.Write(t2, a, 20);
  EXPECT_TRUE(s.Finish().empty());
}

TEST(RaceDetector, ShadowMemoryIsBoundedAndSaysSo) {
  RaceOptions opts;
  opts.shadow_capacity = 8;
  Script s(opts);
  Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
  LocId hot = s.Location("counter.g_num");
  for (int i = 0; i < 100; ++i) {
    s.Write(t1, s.Location("items[" + std::to_string(i) + "]", 2), 5);
  }
  s.Update(t1, hot, 12);
  s.Update(t2, hot, 12);
  auto fs = s.Finish();
  EXPECT_LE(s.stats().live_locations, 8u);
  EXPECT_GT(s.stats().evicted, 0u);
  ASSERT_EQ(fs.size(), 1u);
  ASSERT_EQ(fs[0].notes.size(), 2u);
  EXPECT_TRUE(Contains(fs[0].notes[1], "shadow memory evicted")) << fs[0].notes[1];
}

TEST(RaceDetector, ConcurrentReadsAreNotRaces) {
  Script s;
  LocId g = s.Location("config.debug");
  s.Write(0, g, 1);
  Tid t1 = s.Start(0, "Thread-1"), t2 = s.Start(0, "Thread-2");
  s.Read(t1, g, 10);
  s.Read(t2, g, 11);
  EXPECT_TRUE(s.Finish().empty());
}

TEST(RaceDetector, ReportShowsBothStacksThreadStartsAndLockCreation) {
  Script s;
  LockId m = s.NewLock(3);
  LocId g = s.Location("counter.g_num");
  Tid t1 = s.Start(0, "Thread-1", 50), t2 = s.Start(0, "Thread-2", 51);
  s.Acquire(t1, m);
  s.Update(t1, g, 13);
  s.Release(t1, m);
  s.Update(t2, g, 12);
  auto fs = s.Finish();
  ASSERT_EQ(fs.size(), 1u);
  std::vector<std::string> titles;
  for (const Section& sec : fs[0].sections) titles.push_back(sec.title);
  ASSERT_EQ(titles.size(), 5u);
  EXPECT_EQ(titles[0], "Read-modify-write of counter.g_num by thread T2 (Thread-2), holding no locks:");
  EXPECT_EQ(titles[1], "Previous read-modify-write of counter.g_num by thread T1 (Thread-1), holding lock L1:");
  EXPECT_EQ(titles[2], "Thread T2 (Thread-2) started at:");
  EXPECT_EQ(fs[0].sections[2].frames.at(0).line, 51u);
  EXPECT_EQ(titles[3], "Thread T1 (Thread-1) started at:");
  EXPECT_EQ(titles[4], "Lock L1 created at:");
  EXPECT_EQ(fs[0].sections[0].frames.at(0).function, "worker");
}

}  // namespace
}  // namespace pyrace::race
