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


# --- locks reached through attribute chains: the lock is NewsWrapper's own --------------

class NewsWrapper:
    def __init__(self):
        self.lock = threading.Lock()
        self.items = []

    def publish(self, item):
        with self.lock:
            with feed_lock:  # expect: PYR004
                self.items.append(item)


feed_lock = threading.Lock()


class Feed:
    def __init__(self):
        self.nw = NewsWrapper()

    def refresh(self):
        with feed_lock:
            with self.nw.lock:
                pass


# --- a thread target given as a bound method of a module-level object -------------------

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.hits = 0

    def hit(self):
        with self.lock:
            with stats_log_lock:  # expect: PYR004
                self.hits += 1


stats_log_lock = threading.Lock()
stats = Stats()


def flush_stats():
    with stats_log_lock:
        with stats.lock:
            pass


threading.Thread(target=stats.hit).start()


# --- a cycle of three locks, no two taken in opposite orders ----------------------------

ring_a = threading.Lock()
ring_b = threading.Lock()
ring_c = threading.Lock()


def ring_one():
    with ring_a:
        with ring_b:  # expect: PYR004
            pass


def ring_two():
    with ring_b:
        with ring_c:
            pass


def ring_three():
    with ring_c:
        with ring_a:
            pass


# --- lookalikes: chains and longer paths that form no cycle ------------------------------

class Quiet:
    def __init__(self):
        self.lock = threading.Lock()


class UsesTwoQuiets:
    def __init__(self):
        self.first = Quiet()
        self.second = Quiet()
        self.other = make_something()

    def both(self):
        # Both are Quiet.lock: one lock class, taken twice, not an order between two.
        with self.first.lock:
            pass
        with ring_a:
            with self.first.lock:
                pass

    def unknown_class(self):
        # What make_something() returns is unknown: its lock has no project identity.
        with self.other.lock:
            with ring_a:
                pass
        with ring_a:
            with self.other.lock:
                pass


def make_something():
    return object()


line_a = threading.Lock()
line_b = threading.Lock()
line_c = threading.Lock()


def line_one():
    with line_a:
        with line_b:
            with line_c:
                pass


def line_two():
    with line_a:
        with line_c:
            pass


ring_gate = threading.Lock()
gated_x = threading.Lock()
gated_y = threading.Lock()
gated_z = threading.Lock()


def gated_ring_one():
    with ring_gate:
        with gated_x:
            with gated_y:
                pass


def gated_ring_two():
    with ring_gate:
        with gated_y:
            with gated_z:
                pass


def gated_ring_three():
    with ring_gate:
        with gated_z:
            with gated_x:
                pass


# --- locks made by a factory keep the identity their name gives them --------------------

def make_lock():
    return threading.Lock()


first_lock = make_lock()
second_lock = make_lock()


def made_forward():
    with first_lock:
        with second_lock:  # expect: PYR004
            pass


def made_backward():
    with second_lock:
        with first_lock:
            pass
