"""PYR010 sleep-under-lock: time.sleep() while holding a lock (off by default)."""
import threading
import time
from time import sleep

lock = threading.Lock()


# --- violations -------------------------------------------------------------------------

def sleeps():
    with lock:
        time.sleep(1)  # expect: PYR010


def sleeps_bare():
    lock.acquire()
    sleep(0.5)  # expect: PYR010
    lock.release()


# --- lookalikes: correct code -----------------------------------------------------------

def sleep_outside():
    with lock:
        pass
    time.sleep(0.1)


def per_call_lock():
    mine = threading.Lock()
    with mine:
        time.sleep(0.1)


class Clock:
    def sleep(self, s):
        return s


def not_time_sleep(clock):
    with lock:
        clock.sleep(1)
