# Each thread writes only its own list slot and its own dict key: clean.
import sys
import threading

sys.setswitchinterval(1e-5)
N = 4
results = [None] * N
by_name = {}


def work(i):
    total = 0
    for k in range(500):
        total += k * i
        results[i] = total
        by_name["worker-%d" % i] = total


threads = [threading.Thread(target=work, args=(i,)) for i in range(N)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(results, len(by_name))
