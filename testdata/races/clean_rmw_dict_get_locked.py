# rmw_dict_get.py with the read and the store under one lock: clean.
import sys
import threading

sys.setswitchinterval(1e-5)
start = threading.Barrier(2)
lock = threading.Lock()
hits = {}


def count(n):
    start.wait()
    for _ in range(n):
        with lock:
            hits["page"] = hits.get("page", 0) + 1


threads = [threading.Thread(target=count, args=(2000,)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("counted", hits["page"])
