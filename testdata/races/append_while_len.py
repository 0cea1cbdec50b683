# clean_append_append.py's bug twin: one thread counts the results while others still
# append. len() reads the list's shape, which every append writes.
import sys
import threading
import time

sys.setswitchinterval(1e-5)
start = threading.Barrier(2)
results = []


def work():
    start.wait()
    for k in range(2000):
        results.append(k)  # expect: data-race
        if k % 100 == 0:
            time.sleep(0.0005)  # sleeping orders nothing


def progress():
    start.wait()
    for k in range(2000):
        n = len(results)  # expect: data-race
        if k % 100 == 0:
            time.sleep(0.0005)


threads = [threading.Thread(target=work), threading.Thread(target=progress)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(results))
