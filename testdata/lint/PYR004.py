"""PYR004 lock-order-inversion: two locks taken in opposite orders."""
import threading

a = threading.Lock()
b = threading.Lock()
c = threading.Lock()
d = threading.Lock()
e = threading.Lock()
f = threading.Lock()
gate = threading.Lock()


# --- violations -------------------------------------------------------------------------

def forward():
    with a:
        with b:  # expect: PYR004
            pass


def backward():
    with b:
        with a:
            pass


class Bank:
    def __init__(self):
        self.accounts_lock = threading.Lock()
        self.log_lock = threading.Lock()

    def transfer(self):
        self.accounts_lock.acquire()
        try:
            self.log_lock.acquire()  # expect: PYR004
            self.log_lock.release()
        finally:
            self.accounts_lock.release()

    def audit(self):
        with self.log_lock:
            return self._snapshot()

    def _snapshot(self):
        with self.accounts_lock:
            return 1


# --- lookalikes: correct code -----------------------------------------------------------

def consistent_one():
    with c:
        with d:
            pass


def consistent_two():
    with c, d:
        pass


def gated_forward():
    with gate:
        with e:
            with f:
                pass


def gated_backward():
    with gate:
        with f:
            with e:
                pass


def per_call_forward():
    x = threading.Lock()
    y = threading.Lock()
    with x:
        with y:
            pass


def per_call_backward():
    x = threading.Lock()
    y = threading.Lock()
    with y:
        with x:
            pass


def try_acquire_reverse():
    # A non-blocking acquire cannot wait, so it closes no cycle.
    with d:
        if c.acquire(blocking=False):
            c.release()
