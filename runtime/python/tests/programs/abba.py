import threading
import time

a = threading.Lock()
b = threading.RLock()
ready = threading.Barrier(2)


def one():
    with a:
        ready.wait()
        with b:
            pass


def two():
    with b:
        ready.wait()
        with a:
            pass


t1 = threading.Thread(target=one)
t2 = threading.Thread(target=two)
t1.start()
t2.start()
t1.join()
