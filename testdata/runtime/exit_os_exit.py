# os._exit(5) skips every Python exit handler; the runtime flushes its trace first, so
# the lock-order inversion seen before it is still reported (and the run exits 66).
# fixture: exit 5
import os
import threading

A = threading.Lock()
B = threading.Lock()


def ab():
    with A:
        with B:
            pass


def ba():
    with B:
        with A:  # expect: lock-order-inversion
            pass


for work in (ab, ba):
    t = threading.Thread(target=work)
    t.start()
    t.join()
os._exit(5)
