# Safe twin of AA and of a re-entrant ABA: re-acquiring an RLock (or a Condition, whose
# default lock is an RLock) the thread already holds is re-entry, not a lock-order edge.
# Thread 1 takes A, B, then A again; thread 2 takes A then B. No cycle: clean.
# Usage: safe_rlock_reentry.py [RLock|Condition]
# fixture: args RLock
# fixture: args Condition
import sys
import threading

KIND = sys.argv[1] if len(sys.argv) > 1 else "RLock"

A = getattr(threading, KIND)()
B = getattr(threading, KIND)()


def aba():
    with A:
        with B:
            with A:
                pass


def ab():
    with A:
        with B:
            pass


for work in (aba, ab):
    t = threading.Thread(target=work)
    t.start()
    t.join()
