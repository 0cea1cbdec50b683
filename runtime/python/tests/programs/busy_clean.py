# Normal waiting that must not look like a hang: idle pool workers, a Condition
# wait longer than the grace period, a timed wait, a slow join.
import threading
import time
from concurrent.futures import ThreadPoolExecutor

pool = ThreadPoolExecutor(max_workers=3)
pool.submit(time.sleep, 0.01).result()

cond = threading.Condition()
state = []


def slow_notifier():
    time.sleep(0.8)
    with cond:
        state.append(1)
        cond.notify()


threading.Thread(target=slow_notifier).start()
with cond:
    while not state:
        cond.wait()

worker = threading.Thread(target=time.sleep, args=(0.8,))
worker.start()
worker.join()
ev = threading.Event()
ev.wait(0.8)
pool.shutdown()
print("clean")
