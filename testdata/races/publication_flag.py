# Unsynchronized publication of a plain value: the worker stores its result and the
# main thread polls for it with sleeps, which order nothing.
import sys
import threading
import time

sys.setswitchinterval(1e-5)


class Job:
    def __init__(self):
        self.result = None


job = Job()


def work():
    time.sleep(0.01)
    job.result = 42


t = threading.Thread(target=work)
t.start()
while job.result is None:  # expect: data-race
    time.sleep(0.001)
t.join()
print("result", job.result)
