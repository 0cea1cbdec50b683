# Iterating a dict while another thread inserts keys: "dictionary changed size during
# iteration" waiting to happen. The loop reads the dict's shape, the insert writes it.
import sys
import threading
import time

sys.setswitchinterval(1e-5)
start = threading.Barrier(2)
handlers = {"a": 1}


def register(n):
    start.wait()
    for i in range(n):
        handlers["h%d" % i] = i  # expect: data-race
        if i % 20 == 0:
            time.sleep(0.0005)  # let the other thread in: sleeping orders nothing


def dispatch(n):
    start.wait()
    seen = 0
    for i in range(n):
        try:
            for name in handlers:  # expect: data-race
                seen += 1
        except RuntimeError:
            pass
        if i % 20 == 0:
            time.sleep(0.0005)
    return seen


threads = [threading.Thread(target=register, args=(300,)), threading.Thread(target=dispatch, args=(300,))]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(handlers), "handlers")
