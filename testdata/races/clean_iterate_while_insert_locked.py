# iterate_while_insert.py with the inserts and the iteration under one lock: clean.
import sys
import threading
import time

sys.setswitchinterval(1e-5)
start = threading.Barrier(2)
lock = threading.Lock()
handlers = {"a": 1}


def register(n):
    start.wait()
    for i in range(n):
        with lock:
            handlers["h%d" % i] = i
        if i % 20 == 0:
            time.sleep(0.0005)


def dispatch(n):
    start.wait()
    seen = 0
    for i in range(n):
        with lock:
            for name in handlers:
                seen += 1
        if i % 20 == 0:
            time.sleep(0.0005)
    return seen


threads = [threading.Thread(target=register, args=(300,)), threading.Thread(target=dispatch, args=(300,))]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(handlers), "handlers")
