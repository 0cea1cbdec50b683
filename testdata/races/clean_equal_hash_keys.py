# hash(-1) == hash(-2) in CPython, and so are the hashes of (-1,) and (-2,), but they
# are different keys: each thread updates only its own entry, which is clean.
import sys
import threading

sys.setswitchinterval(1e-5)
start = threading.Barrier(2)
totals = {-1: 0, -2: 0, (-1,): 0, (-2,): 0}


def work(key):
    start.wait()
    for _ in range(1000):
        totals[key] += 1
        totals[(key,)] += 1


threads = [threading.Thread(target=work, args=(k,)) for k in (-1, -2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(totals)
