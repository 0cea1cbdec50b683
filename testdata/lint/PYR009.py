"""PYR009 condition-not-held: Condition.wait()/notify() without holding the condition."""
import threading

cond = threading.Condition()
ready = []


# --- violations -------------------------------------------------------------------------

def notify_unlocked(x):
    ready.append(x)
    cond.notify()  # expect: PYR009


def producer():
    notify_unlocked(1)


def notify_after_with(x):
    with cond:
        ready.append(x)
    cond.notify_all()  # expect: PYR009


def wait_unlocked():
    while not ready:
        cond.wait()  # expect: PYR009


# --- lookalikes: correct code -----------------------------------------------------------

def notify_locked(x):
    with cond:
        ready.append(x)
        cond.notify()


def _notify_helper():
    cond.notify_all()  # called only with the condition held


def publish(x):
    with cond:
        ready.append(x)
        _notify_helper()


class Queue2:
    def __init__(self):
        self.mutex = threading.Lock()
        self.not_empty = threading.Condition(self.mutex)

    def put(self, x):
        with self.mutex:
            self.not_empty.notify()  # holding the lock the condition is built on


def main():
    threading.Thread(target=wait_unlocked).start()
