# Safe twin of ABBA: the reverse order uses a non-blocking acquire and backs off when it
# fails, the classic way to take locks against the order without risking a deadlock.
# A try-acquire never waits, so it adds no lock-order edge. No report.
# Usage: safe_trylock_backoff.py [Lock|RLock]
# fixture: args Lock
# fixture: args RLock
import sys
import threading
import time

KIND = sys.argv[1] if len(sys.argv) > 1 else "Lock"

A = getattr(threading, KIND)()
B = getattr(threading, KIND)()


def ab():
    with A:
        with B:
            pass


def ba_with_backoff():
    while True:
        with B:
            if A.acquire(blocking=False):
                try:
                    return
                finally:
                    A.release()
        time.sleep(0.001)


for work in (ab, ba_with_backoff):
    t = threading.Thread(target=work)
    t.start()
    t.join()
