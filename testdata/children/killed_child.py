# A child that races, waits for its trace to be flushed, then dies of SIGKILL.
import os
import signal
import sys
import threading
import time

sys.setswitchinterval(1e-5)
start = threading.Barrier(2)
counter = 0


def bump():
    global counter
    start.wait()
    for _ in range(2000):
        counter += 1  # expect: data-race


threads = [threading.Thread(target=bump) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
time.sleep(1.0)  # the watchdog's periodic flush sends what was recorded
os.kill(os.getpid(), signal.SIGKILL)
