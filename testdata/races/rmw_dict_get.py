# A read-modify-write spread over two operations: `d[k] = d.get(k, 0) + 1` reads the
# entry, then stores what it computed from it. Two threads lose each other's counts.
import sys
import threading

sys.setswitchinterval(1e-5)
start = threading.Barrier(2)
hits = {}


def count(n):
    start.wait()
    for _ in range(n):
        hits["page"] = hits.get("page", 0) + 1  # expect: data-race


threads = [threading.Thread(target=count, args=(2000,)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("counted", hits["page"] <= 4000)
