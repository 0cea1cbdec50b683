# clean_equal_hash_keys.py's bug twin: both threads update the entry of -1.
import sys
import threading

sys.setswitchinterval(1e-5)
start = threading.Barrier(2)
totals = {-1: 0, -2: 0}


def work(key):
    start.wait()
    for _ in range(1000):
        totals[key] += 1  # expect: data-race


threads = [threading.Thread(target=work, args=(k,)) for k in (-1, -1)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(totals[-2])
