# A suite for `pyrace run -m pytest -n 2` (pytest-xdist): each test's finding is its
# own (no state shared between tests), so whichever worker runs a test reports it, and
# -n 2 reports what -n 0 does.
import threading


def take(first, second):
    with first:
        with second:  # expect: lock-order-inversion
            pass


def test_inversion():
    a, b = threading.Lock(), threading.Lock()
    for pair in ((a, b), (b, a)):
        t = threading.Thread(target=take, args=pair)
        t.start()
        t.join()


def forget_release(lock):
    lock.acquire()  # expect: missed-release
    return


def test_missed_release():
    lock = threading.Lock()
    t = threading.Thread(target=forget_release, args=(lock,))
    t.start()
    t.join()


def test_clean_one():
    lock = threading.Lock()
    with lock:
        pass


def test_clean_two():
    lock = threading.RLock()
    with lock:
        with lock:
            pass
