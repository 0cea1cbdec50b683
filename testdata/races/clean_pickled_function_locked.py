# pickled_function_unlocked.py with the counter under a lock: the copy of the function,
# pickled by value and loaded, takes the lock as the original does, and nothing races.
import sys
import threading

from by_value import copy_of

sys.setswitchinterval(1e-5)
start = threading.Barrier(2)
lock = threading.Lock()


class Stats:
    hits = 0


def work(stats, n):
    start.wait()
    for _ in range(n):
        with lock:
            stats.hits += 1


copy = copy_of(work)
stats = Stats()
threads = [threading.Thread(target=copy, args=(stats, 2000)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("hits =", stats.hits)
