"""PYR008 wait-not-in-loop: Condition.wait() outside a loop re-checking the predicate."""
import threading

cond = threading.Condition()
items = []
ev = threading.Event()


# --- violations -------------------------------------------------------------------------

def consume_if():
    with cond:
        if not items:
            cond.wait()  # expect: PYR008
        return items.pop()


class Box:
    def __init__(self):
        self._cv = threading.Condition(threading.Lock())
        self._ready = False

    def get(self):
        with self._cv:
            self._cv.wait()  # expect: PYR008
            return self._ready


# --- lookalikes: correct code -----------------------------------------------------------

def consume_while():
    with cond:
        while not items:
            cond.wait()
        return items.pop()


def consume_wait_for():
    with cond:
        cond.wait_for(lambda: items)
        return items.pop()


def timed_poll():
    with cond:
        return cond.wait(0.1)


def wait_event():
    ev.wait()
