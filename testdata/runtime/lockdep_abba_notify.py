# ABBA between two Conditions on plain Locks (queue.Queue's shape), each notified while
# held. Condition._is_owned probes a plain Lock with acquire(False): the holder's
# failed probe must not make the analyses take the mutex for a signal lock and drop it
# from the lock graph. One thread after the other, so the run cannot hang.
import threading

A = threading.Condition(threading.Lock())
B = threading.Condition(threading.Lock())


def take_AB():
    with A:
        A.notify()
        with B:
            B.notify()


def take_BA():
    with B:
        B.notify()
        with A:  # expect: lock-order-inversion
            A.notify()


for work in (take_AB, take_BA):
    t = threading.Thread(target=work)
    t.start()
    t.join()
