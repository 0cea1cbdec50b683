# lockdep's ABBA self-test pattern (A then B in one thread, B then A in another) with
# Python locks. Each pair of acquisitions runs in its own thread, one thread after the
# other (started and joined), so this run cannot hang: pyrace must predict the deadlock
# from the lock graph. The inversion is reported at the inner acquire of the edge that
# closes the cycle.
# Usage: lockdep_abba.py [Lock|RLock|Condition]
# fixture: args Lock
# fixture: args RLock
# fixture: args Condition
import sys
import threading

KIND = sys.argv[1] if len(sys.argv) > 1 else "Lock"


def make_lock():
    return getattr(threading, KIND)()


A = make_lock()
B = make_lock()


def take_AB():
    with A:
        with B:
            pass


def take_BA():
    with B:
        with A:  # expect: lock-order-inversion
            pass


for work in (take_AB, take_BA):
    t = threading.Thread(target=work)
    t.start()
    t.join()
