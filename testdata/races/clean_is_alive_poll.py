# Results written by a worker and read by the main thread once is_alive() said the
# worker had ended (polling instead of join): clean, is_alive() saw the thread's end.
import sys
import threading
import time

sys.setswitchinterval(1e-5)

results = {}
total = 0


def work(n):
    global total
    for i in range(n):
        results[i % 7] = results.get(i % 7, 0) + 1
        total += 1


t = threading.Thread(target=work, args=(500,))
t.start()
while t.is_alive():
    time.sleep(0.001)
total += 1
results[0] = results[0] + 1
print(total, sorted(results.items()))
