"""PYR001 missed-release: acquire() not released on every path.

Violations first, then lookalikes that are correct and must stay quiet."""
import threading

lock = threading.Lock()
counter = 0


# --- violations -------------------------------------------------------------------------

def early_return(items, index):  # the seed's get_value
    lock.acquire()  # expect: PYR001
    if index >= len(items):
        print("Index out of bounds:", index)
        return None
    value = items[index]
    lock.release()
    return value


def raise_between(x):
    lock.acquire()  # expect: PYR001
    if x < 0:
        raise ValueError(x)
    lock.release()


def code_before_try(load):
    lock.acquire()  # expect: PYR001
    data = load()
    try:
        return data.process()
    finally:
        lock.release()


def leaks_in_handler(work):
    lock.acquire()  # expect: PYR001
    try:
        work()
    except OSError:
        return False
    lock.release()
    return True


def break_out_of_loop(items):
    for item in items:
        lock.acquire()  # expect: PYR001
        if item is None:
            break
        lock.release()


class Account:
    def __init__(self):
        self._lock = threading.RLock()
        self.balance = 0

    def withdraw(self, amount):
        self._lock.acquire()  # expect: PYR001
        if amount > self.balance:
            return False
        self.balance -= amount
        self._lock.release()
        return True


# --- lookalikes: correct code -----------------------------------------------------------

def with_block(items):
    with lock:
        return items[0]


def try_finally(work):
    lock.acquire()
    try:
        return work()
    finally:
        lock.release()


def released_on_every_path(items, index):
    lock.acquire()
    if index >= len(items):
        lock.release()
        return None
    value = items[index]
    lock.release()
    return value


def _unlock():
    lock.release()


def release_in_helper(work):
    lock.acquire()
    try:
        work()
    finally:
        _unlock()


def conditional_acquire(flag, work):
    if flag:
        lock.acquire()
    try:
        work()
    finally:
        if flag:
            lock.release()


def timed_acquire(work):
    if not lock.acquire(timeout=1):
        return False
    try:
        work()
    finally:
        lock.release()
    return True


def try_acquire_flag(work):
    got = lock.acquire(blocking=False)
    if got:
        try:
            work()
        finally:
            lock.release()
    return got


def per_call_lock():
    mine = threading.Lock()
    mine.acquire()
    return mine


class Guard:
    """Acquires in __enter__ and releases in __exit__."""

    def __init__(self):
        self._lock = threading.Lock()

    def __enter__(self):
        self._lock.acquire()
        return self

    def __exit__(self, *exc):
        self._lock.release()


def seed_lock_outside_loop(num):
    global counter
    lock.acquire()
    for _ in range(num):
        counter += 1
    lock.release()


def seed_lock_inside_loop(num):
    global counter
    for _ in range(num):
        lock.acquire()
        counter += 1
        lock.release()

