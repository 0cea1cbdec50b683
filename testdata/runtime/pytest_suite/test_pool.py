# A pytest suite for `pyrace run -m pytest`: each finding must name the test it was
# found in. test_inversion's threads take two locks in opposite orders (one after the
# other, so nothing hangs); test_leaves_worker starts a thread that outlives it and
# forgets a release only once test_later lets it go on: the thread belongs to the test
# that started it, so that finding is test_leaves_worker's. test_clean finds nothing.
import threading

A = threading.Lock()
B = threading.Lock()
WORKER_LOCK = threading.Lock()
go_on = threading.Event()
worker = None


def take(first, second):
    with first:
        with second:  # expect: lock-order-inversion
            pass


def test_inversion():
    for pair in ((A, B), (B, A)):
        t = threading.Thread(target=take, args=pair)
        t.start()
        t.join()


def forget_release():
    go_on.wait()
    WORKER_LOCK.acquire()  # expect: missed-release
    return


def test_leaves_worker():
    global worker
    worker = threading.Thread(target=forget_release)
    worker.start()


def test_later():
    go_on.set()
    worker.join()


def test_clean():
    with A:
        pass
