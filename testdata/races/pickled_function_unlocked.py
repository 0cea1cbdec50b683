# The counter of counter_unlocked.py, run by two threads as a copy of its function
# pickled by value, the way cloudpickle and dill send a function to a process pool's
# workers: the copy's code is the rewritten code, and its lost update is reported where
# the original's would be.
import sys
import threading

from by_value import copy_of

sys.setswitchinterval(1e-5)
start = threading.Barrier(2)


class Stats:
    hits = 0


def work(stats, n):
    start.wait()
    for _ in range(n):
        stats.hits += 1  # expect: data-race


copy = copy_of(work)
stats = Stats()
threads = [threading.Thread(target=copy, args=(stats, 2000)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("hits =", stats.hits)
