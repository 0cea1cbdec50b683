# ABBA where the reverse order waits with a timeout: a timed acquire still waits (up to
# its timeout), so a real run could stall there; the inversion is predicted and reported
# like a blocking one.
import threading

A = threading.Lock()
B = threading.Lock()


def ab():
    with A:
        with B:
            pass


def ba_timed():
    with B:
        if A.acquire(timeout=5):  # expect: lock-order-inversion
            A.release()


for work in (ab, ba_timed):
    t = threading.Thread(target=work)
    t.start()
    t.join()
