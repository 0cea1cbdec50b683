# Two threads each update two fields 2000 times, every update under the one lock; a
# thread mostly takes the lock back from itself (its accesses in a row are recorded once
# per hand-off to the other thread). Correct: nothing is reported.
import sys
import threading

sys.setswitchinterval(1e-5)
lock = threading.Lock()


class Stats:
    def __init__(self):
        self.count = 0
        self.by_key = {"even": 0, "odd": 0}


def work(s, n):
    for i in range(n):
        with lock:
            s.count += 1
            s.by_key["even" if i % 2 == 0 else "odd"] += 1


stats = Stats()
threads = [threading.Thread(target=work, args=(stats, 2000)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(stats.count, stats.by_key)
