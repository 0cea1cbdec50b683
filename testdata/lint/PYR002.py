"""PYR002 release-unheld: release() on a path where the lock was not acquired."""
import threading

lock = threading.Lock()
rlock = threading.RLock()


# --- violations -------------------------------------------------------------------------

def acquire_inside_try(work):
    try:
        lock.acquire()
        work()
    finally:
        lock.release()  # expect: PYR002


def setup_inside_try(prepare, work):
    try:
        prepare()
        lock.acquire()
        work()
    finally:
        lock.release()  # expect: PYR002


def double_release():
    lock.acquire()
    lock.release()
    lock.release()  # expect: PYR002


def release_after_conditional_acquire(flag):
    if flag:
        lock.acquire()
    lock.release()  # expect: PYR002


# --- lookalikes: correct code -----------------------------------------------------------

def acquire_before_try(work):
    lock.acquire()
    try:
        work()
    finally:
        lock.release()


def guarded_release(work):
    acquired = lock.acquire(timeout=0.5)
    try:
        work()
    finally:
        if acquired:
            lock.release()


def rlock_twice():
    rlock.acquire()
    rlock.acquire()
    rlock.release()
    rlock.release()


def release_helper():
    lock.release()  # the caller acquired it


def locked_check(work):
    try:
        if lock.acquire(False):
            work()
            lock.release()
    except BaseException:
        if lock.locked():
            lock.release()
        raise


def with_block():
    with lock:
        pass
