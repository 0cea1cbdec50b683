"""PYR007 blocking-under-lock: a call that can block indefinitely while holding a lock."""
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor

lock = threading.Lock()
done = threading.Event()
jobs = queue.Queue(maxsize=10)
unbounded = queue.Queue()
cond = threading.Condition(lock)


# --- violations -------------------------------------------------------------------------

def joins(t):
    with lock:
        t.join()  # expect: PYR007


def gets():
    with lock:
        return jobs.get()  # expect: PYR007


def puts(item):
    with lock:
        jobs.put(item)  # expect: PYR007


def waits_event():
    lock.acquire()
    done.wait()  # expect: PYR007
    lock.release()


def waits_future():
    with ThreadPoolExecutor() as pool:
        fut = pool.submit(print)
        with lock:
            return fut.result()  # expect: PYR007


class Worker:
    def __init__(self):
        self.inbox = queue.Queue()
        self.ready = threading.Event()
        self.lock = threading.Lock()

    def take(self):
        # The receivers' types come from what __init__ assigned, whatever their names.
        with self.lock:
            self.ready.wait()  # expect: PYR007
            return self.inbox.get()  # expect: PYR007


def local_queue():
    mailbox = queue.Queue()
    with lock:
        return mailbox.get()  # expect: PYR007


# --- lookalikes: correct code -----------------------------------------------------------

def with_timeouts(t):
    with lock:
        jobs.get(timeout=1)
        jobs.put(1, timeout=1)
        done.wait(0.5)
        t.join(timeout=2)
        jobs.get_nowait()


def unbounded_put(x):
    with lock:
        unbounded.put(x)


def str_join(parts):
    with lock:
        return ", ".join(parts)


def condition_wait():
    with cond:
        while not done.is_set():
            cond.wait()


def sleep_outside():
    with lock:
        pass
    time.sleep(0.1)


def per_call_lock():
    mine = threading.Lock()
    with mine:
        time.sleep(0.1)


def sleeps():
    # A sleep ends: PYR010 (off by default) reports it, not PYR007.
    with lock:
        time.sleep(1)


class Cache:
    def get(self):
        return 1

    def wait(self):
        return 2

    def result(self):
        return 3


def named_like_sync_objects(form):
    # Named like a queue, an event and a future, but assigned something else.
    q = Cache()
    event = Cache()
    fut = form.submit()
    with lock:
        q.get()
        event.wait()
        fut.result()
