# lockdep's ABCDBDDA self-test pattern (A-B, C-D, B-D, D-A in four threads: the cycle is
# A-B-D) with Python locks. Each pair of acquisitions runs in its own thread, one thread
# after the other (started and joined), so this run cannot hang: pyrace must predict the
# deadlock from the lock graph. The inversion is reported at the inner acquire of the
# edge that closes the cycle.
# Usage: lockdep_abcdbdda.py [Lock|RLock|Condition]
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
C = make_lock()
D = make_lock()


def take_AB():
    with A:
        with B:
            pass


def take_CD():
    with C:
        with D:
            pass


def take_BD():
    with B:
        with D:
            pass


def take_DA():
    with D:
        with A:  # expect: lock-order-inversion
            pass


for work in (take_AB, take_CD, take_BD, take_DA):
    t = threading.Thread(target=work)
    t.start()
    t.join()
