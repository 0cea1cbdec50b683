# Threads appending to one result list, and adding to one set, with no lock: each
# append and add is atomic in CPython and they commute, so nothing can be lost. The
# main thread reads the results after joining the threads.
import sys
import threading

sys.setswitchinterval(1e-5)
start = threading.Barrier(4)
results = []
seen = set()


def work(i):
    start.wait()
    for k in range(500):
        results.append((i, k))
        seen.add(k % 50)


threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(results), len(seen))
