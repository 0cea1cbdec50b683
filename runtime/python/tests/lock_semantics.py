"""Runs under the runtime (bootstrap): the wrapped locks, threads and queues must
behave exactly like CPython's own, which bootstrap keeps in _pyrace._originals."""
import _thread
import gc
import queue
import signal
import sys
import threading
import time
import unittest
import weakref
from concurrent.futures import ThreadPoolExecutor

import _pyrace

ORIG = _pyrace._originals


def outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:  # the exact type and message are part of the contract
        return (type(e).__name__, str(e))


class Wrapped(unittest.TestCase):
    def test_everything_is_wrapped(self):
        self.assertIs(type(threading.Lock()), _pyrace.LockType)
        self.assertIs(type(_thread.allocate_lock()), _pyrace.LockType)
        self.assertIsInstance(threading.RLock(), _pyrace.RLock)
        self.assertIs(type(queue.SimpleQueue()), _pyrace.SimpleQueue)
        self.assertIsInstance(queue.SimpleQueue(), ORIG["SimpleQueue"])
        self.assertIsNot(type(ORIG["allocate_lock"]()), _pyrace.LockType)


class _IndexOnly:
    def __init__(self, v):
        self.v = v

    def __index__(self):
        return self.v


class _FloatOnly:
    def __init__(self, v):
        self.v = v

    def __float__(self):
        return self.v


class LockSemantics(unittest.TestCase):
    def pair(self):
        return _thread.allocate_lock(), ORIG["allocate_lock"]()

    def test_basic_ops_match(self):
        for lock in self.pair():
            self.assertFalse(lock.locked())
            self.assertTrue(lock.acquire())
            self.assertTrue(lock.locked())
            self.assertFalse(lock.acquire(False))
            self.assertFalse(lock.acquire(blocking=False))
            self.assertIsNone(lock.release())
            self.assertTrue(lock.acquire_lock())
            lock.release_lock()
            self.assertFalse(lock.locked_lock())
            with lock as got:
                self.assertTrue(got)
                self.assertTrue(lock.locked())
            self.assertFalse(lock.locked())

    def test_errors_match(self):
        calls = [
            lambda l: l.release(),
            lambda l: l.acquire(timeout=-2),
            lambda l: l.acquire(False, 1),
            lambda l: l.acquire(timeout=float("nan")),
            lambda l: l.acquire(timeout=1e300),
            lambda l: l.acquire(timeout=1e10),
            lambda l: (l.acquire(timeout=_thread.TIMEOUT_MAX), l.release()),
            lambda l: l.acquire(timeout=_thread.TIMEOUT_MAX + 1),
            lambda l: l.acquire(timeout="x"),
            # Timeouts that are neither int nor float: 3.14 and 3.15 each changed these.
            lambda l: (l.acquire(timeout=_IndexOnly(1)), l.release()),
            lambda l: l.acquire(timeout=_IndexOnly(2**70)),
            lambda l: (l.acquire(timeout=_FloatOnly(0.5)), l.release()),
            lambda l: l.acquire(timeout=None),
            lambda l: l.acquire(1, 2, 3),
            lambda l: l.acquire(foo=1),
            lambda l: l.acquire(True, timeout=0),
            lambda l: (l.acquire(timeout=-1), l.release()),
        ]
        for call in calls:
            wrapped, real = self.pair()
            self.assertEqual(outcome(lambda: call(wrapped)), outcome(lambda: call(real)))

    def test_timeout_expires(self):
        for lock in self.pair():
            lock.acquire()
            t0 = time.monotonic()
            self.assertFalse(lock.acquire(timeout=0.1))
            self.assertGreaterEqual(time.monotonic() - t0, 0.09)
            self.assertFalse(lock.acquire(True, 0))
            lock.release()

    def test_release_by_another_thread(self):
        lock = threading.Lock()
        lock.acquire()
        t = threading.Thread(target=lock.release)
        t.start()
        t.join()
        self.assertFalse(lock.locked())

    def test_blocking_acquire_wakes_on_release(self):
        lock = threading.Lock()
        lock.acquire()
        got = []
        t = threading.Thread(target=lambda: got.append(lock.acquire(timeout=5)))
        t.start()
        time.sleep(0.05)
        lock.release()
        t.join()
        self.assertEqual(got, [True])

    def test_repr_and_weakref(self):
        lock = threading.Lock()
        self.assertRegex(repr(lock), r"^<unlocked _thread\.lock object at 0x[0-9a-f]+>$")
        lock.acquire()
        self.assertRegex(repr(lock), r"^<locked _thread\.lock object at 0x[0-9a-f]+>$")
        lock.release()
        ref = weakref.ref(lock)
        self.assertIs(ref(), lock)
        del lock
        gc.collect()
        self.assertIsNone(ref())

    def test_at_fork_reinit(self):
        lock = threading.Lock()
        lock.acquire()
        lock._at_fork_reinit()
        self.assertFalse(lock.locked())
        self.assertTrue(lock.acquire(False))

    def test_constructibility_matches(self):
        self.assertEqual(outcome(lambda: type(_thread.allocate_lock())()) [0],
                         outcome(lambda: type(ORIG["allocate_lock"]())())[0])


class RLockSemantics(unittest.TestCase):
    def pair(self):
        return threading.RLock(), ORIG["RLock"]()

    def test_reentry_and_ownership(self):
        for r in self.pair():
            self.assertFalse(r._is_owned())
            self.assertTrue(r.acquire())
            self.assertTrue(r.acquire())
            self.assertTrue(r._is_owned())
            if hasattr(r, "_recursion_count"):
                self.assertEqual(r._recursion_count(), 2)
            state = r._release_save()
            self.assertEqual(state[0], 2)
            self.assertFalse(r._is_owned())
            r._acquire_restore(state)
            self.assertTrue(r._is_owned())
            r.release()
            r.release()
            self.assertEqual(outcome(r.release), ("RuntimeError", "cannot release un-acquired lock"))
            self.assertEqual(outcome(r._release_save)[0], "RuntimeError")
            self.assertEqual(outcome(lambda: r._acquire_restore(1))[0], "TypeError")

    def test_repr(self):
        wrapped, real = self.pair()
        for r in (wrapped, real):
            r.acquire()
        rx = r"^<locked _thread\.RLock object owner=\d+ count=1 at 0x[0-9a-f]+>$"
        self.assertRegex(repr(wrapped), rx)
        self.assertRegex(repr(real), rx)
        for r in (wrapped, real):
            r.release()

    def test_release_by_non_owner_fails(self):
        for r in self.pair():
            r.acquire()
            res = []
            t = threading.Thread(target=lambda: res.append(outcome(r.release)))
            t.start()
            t.join()
            self.assertEqual(res, [("RuntimeError", "cannot release un-acquired lock")])
            r.release()

    def test_contended_timeout(self):
        for r in self.pair():
            r.acquire()
            res = []
            t = threading.Thread(target=lambda: res.append(r.acquire(timeout=0.05)))
            t.start()
            t.join()
            self.assertEqual(res, [False])
            r.release()

    def test_subclass(self):
        class Mine(threading._CRLock):
            pass
        m = Mine()
        with m:
            self.assertTrue(m._is_owned())


class ConditionOnPlainLock(unittest.TestCase):
    """Condition._is_owned is pyrace's for a Condition on its Lock (thread_wrappers.cpp)."""

    def test_is_owned_answers_like_the_probe(self):
        cv = threading.Condition(threading.Lock())
        self.assertFalse(cv._is_owned())
        with self.assertRaises(RuntimeError) as cm:
            cv.notify()
        self.assertEqual(str(cm.exception), "cannot notify on un-acquired lock")
        with cv:
            self.assertTrue(cv._is_owned())
            cv.notify_all()
        held = threading.Event()
        done = threading.Event()

        def hold():
            with cv:
                held.set()
                done.wait()

        t = threading.Thread(target=hold)
        t.start()
        held.wait()
        self.assertTrue(cv._is_owned())  # CPython's probe: locked by anyone
        done.set()
        t.join()
        self.assertFalse(cv._is_owned())

    def test_other_lock_types_keep_the_original(self):
        cv = threading.Condition(threading.RLock())
        with cv:
            self.assertTrue(cv._is_owned())
        self.assertFalse(cv._is_owned())


class ContendedAcquire(unittest.TestCase):
    """A blocked acquire first only waits for the lock to be free (lock_args.cpp)."""

    def test_mutual_exclusion_under_contention(self):
        for lock in (threading.Lock(), threading.RLock()):
            inside, seen, count = [0], [], [0]

            def work():
                for _ in range(2000):
                    with lock:
                        inside[0] += 1
                        seen.append(inside[0])  # a call: the GIL may switch here
                        count[0] += 1
                        inside[0] -= 1

            threads = [threading.Thread(target=work) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(count[0], 8000)
            self.assertEqual(set(seen), {1})

    def test_waiter_is_not_starved_by_a_holder_that_retakes_the_lock(self):
        lock = threading.Lock()
        got = threading.Event()
        give_up = time.monotonic() + 60  # a hang guard, not a timing assertion
        gave_up = []

        def holder():
            while not got.is_set():
                if time.monotonic() > give_up:
                    gave_up.append(True)  # the waiter never got in: starved
                    return
                with lock:
                    sum(range(200))  # long critical sections with calls in them

        t = threading.Thread(target=holder)
        t.start()
        time.sleep(0.01)
        with lock:
            got.set()
        t.join()
        self.assertEqual(gave_up, [])


class Signals(unittest.TestCase):
    def test_ctrl_c_interrupts_a_blocked_acquire(self):
        lock = threading.Lock()
        lock.acquire()
        main = threading.get_ident()
        timer = threading.Timer(0.1, lambda: signal.pthread_kill(main, signal.SIGINT))
        timer.start()
        with self.assertRaises(KeyboardInterrupt):
            lock.acquire()
        timer.join()
        lock.release()

    def test_handler_runs_and_timeout_keeps_counting(self):
        lock = threading.Lock()
        lock.acquire()
        seen = []
        old = signal.signal(signal.SIGUSR1, lambda *a: seen.append(1))
        try:
            main = threading.get_ident()
            timer = threading.Timer(0.05, lambda: signal.pthread_kill(main, signal.SIGUSR1))
            timer.start()
            t0 = time.monotonic()
            self.assertFalse(lock.acquire(timeout=0.3))
            elapsed = time.monotonic() - t0
            timer.join()
        finally:
            signal.signal(signal.SIGUSR1, old)
        self.assertEqual(seen, [1])
        self.assertGreaterEqual(elapsed, 0.29)
        self.assertLess(elapsed, 5)


class Threads(unittest.TestCase):
    def test_raw_thread_error_goes_to_unraisablehook_with_the_target(self):
        seen = []
        old = sys.unraisablehook
        sys.unraisablehook = seen.append
        done = threading.Event()

        def task():
            try:
                raise ValueError("task failed")
            finally:
                done.set()
        try:
            _thread.start_new_thread(task, ())
            done.wait(5)
            deadline = time.monotonic() + 5
            while not seen and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            sys.unraisablehook = old
        self.assertEqual(len(seen), 1)
        self.assertIs(seen[0].object if sys.version_info < (3, 13) else task, task)
        self.assertEqual(str(seen[0].exc_value), "task failed")

    def test_start_new_thread_argument_errors(self):
        self.assertEqual(outcome(lambda: _thread.start_new_thread(1, ())),
                         outcome(lambda: ORIG["start_new_thread"](1, ())))
        self.assertEqual(outcome(lambda: _thread.start_new_thread(print, [])),
                         outcome(lambda: ORIG["start_new_thread"](print, [])))

    def test_names_join_and_results(self):
        out = []
        ts = [threading.Thread(target=out.append, args=(i,)) for i in range(5)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
            self.assertFalse(t.is_alive())
        self.assertEqual(sorted(out), list(range(5)))
        t = threading.Thread(target=lambda: None)
        self.assertEqual(outcome(t.join)[0], "RuntimeError")
        self.assertEqual(outcome(threading.current_thread().join)[0], "RuntimeError")

    def test_no_refcycle_through_condition_waits(self):
        # test_threading's check: objects reachable from a started and joined thread
        # die by reference counting alone, even though Thread.start waited on a
        # Condition (whose waiter lock stays held) and join used a timeout.
        class Owner:
            def __init__(self):
                self.thread = threading.Thread(target=self.run)
                self.thread.start()

            def run(self):
                ev = threading.Event()
                ev.wait(0.01)

        owner = Owner()
        ref = weakref.ref(owner)
        owner.thread.join(5)
        owner.thread.join()
        del owner
        self.assertIsNone(ref())

    def test_replacements_keep_their_module(self):
        self.assertEqual(threading.Lock.__module__, "_thread")
        self.assertEqual(_thread.start_new_thread.__module__, "_thread")

    def test_join_timeout(self):
        ev = threading.Event()
        t = threading.Thread(target=ev.wait)
        t.start()
        t.join(0.05)
        self.assertTrue(t.is_alive())
        ev.set()
        t.join()
        self.assertFalse(t.is_alive())


class Stdlib(unittest.TestCase):
    def test_condition_notify(self):
        cond = threading.Condition()
        items = []

        def consumer():
            with cond:
                while not items:
                    cond.wait()
                items.append("seen")
        t = threading.Thread(target=consumer)
        t.start()
        time.sleep(0.05)
        with cond:
            items.append(1)
            cond.notify()
        t.join()
        self.assertEqual(items, [1, "seen"])
        with cond:
            self.assertFalse(cond.wait(0.01))

    def test_event_semaphore_barrier(self):
        ev = threading.Event()
        self.assertFalse(ev.wait(0.01))
        threading.Timer(0.02, ev.set).start()
        self.assertTrue(ev.wait(5))
        sem = threading.BoundedSemaphore(2)
        self.assertTrue(sem.acquire())
        self.assertTrue(sem.acquire())
        self.assertFalse(sem.acquire(timeout=0.01))
        sem.release()
        sem.release()
        self.assertRaises(ValueError, sem.release)
        barrier = threading.Barrier(3)
        res = []
        ts = [threading.Thread(target=lambda: res.append(barrier.wait())) for _ in range(3)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(sorted(res), [0, 1, 2])

    def test_queues(self):
        q = queue.Queue(maxsize=2)
        out = []

        def consume():
            while (item := q.get()) is not None:
                out.append(item)
                q.task_done()
            q.task_done()
        t = threading.Thread(target=consume)
        t.start()
        for i in range(100):
            q.put(i)
        q.put(None)
        q.join()
        t.join()
        self.assertEqual(out, list(range(100)))
        sq = queue.SimpleQueue()
        self.assertRaises(queue.Empty, sq.get_nowait)
        self.assertRaises(queue.Empty, sq.get, timeout=0.01)
        self.assertRaises(queue.Empty, sq.get, False)
        sq.put(1)
        sq.put_nowait(2)
        sq.put(3, block=False, timeout=None)
        self.assertEqual(sq.qsize(), 3)
        self.assertEqual([sq.get(), sq.get_nowait(), sq.get(block=True, timeout=1)], [1, 2, 3])
        self.assertTrue(sq.empty())
        self.assertEqual(queue.SimpleQueue[int].__origin__, queue.SimpleQueue)

    def test_executor(self):
        with ThreadPoolExecutor(max_workers=4) as pool:
            self.assertEqual(list(pool.map(lambda x: x * x, range(200))), [x * x for x in range(200)])
            fut = pool.submit(lambda: 1 / 0)
            self.assertRaises(ZeroDivisionError, fut.result, 5)


if __name__ == "__main__":
    unittest.main(verbosity=1)
