# Results written by workers and read by the main thread after join(): clean.
import sys
import threading

sys.setswitchinterval(1e-5)


class Stats:
    def __init__(self):
        self.count = 0
        self.by_key = {}


stats = [Stats() for _ in range(3)]


def work(s, n):
    for i in range(n):
        s.count += 1
        s.by_key[i % 5] = s.by_key.get(i % 5, 0) + 1


threads = [threading.Thread(target=work, args=(s, 300)) for s in stats]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sum(s.count for s in stats), [s.by_key for s in stats])
