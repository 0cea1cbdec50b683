"""PYR003 double-acquire: a non-reentrant Lock acquired again by the thread holding it."""
import threading

lock = threading.Lock()
rlock = threading.RLock()
signal = threading.Lock()


# --- violations -------------------------------------------------------------------------

def nested_with():
    with lock:
        with lock:  # expect: PYR003
            pass


def acquire_twice():
    lock.acquire()
    lock.acquire()  # expect: PYR003
    lock.release()


def continue_without_release(items):
    for item in items:
        lock.acquire()  # expect: PYR003
        if item:
            continue
        lock.release()


class Cache:
    def __init__(self):
        self._lock = threading.Lock()
        self._data = {}

    def get(self, key):
        with self._lock:
            if key not in self._data:
                self._data[key] = self._load(key)  # expect: PYR003
            return self._data[key]

    def _load(self, key):
        with self._lock:
            return key * 2


# --- lookalikes: correct code -----------------------------------------------------------

class ReentrantCache:
    def __init__(self):
        self._lock = threading.RLock()

    def get(self, key):
        with self._lock:
            return self._load(key)

    def _load(self, key):
        with self._lock:
            return key


def _finish():
    signal.release()


def handoff(start):
    # A Lock used as a signal: another thread releases it.
    signal.acquire()
    start(_finish)
    signal.acquire()


def sequential():
    with lock:
        pass
    with lock:
        pass


def try_acquire_while_held():
    with lock:
        if lock.acquire(blocking=False):
            lock.release()


def reentrant_nesting():
    with rlock:
        with rlock:
            pass
