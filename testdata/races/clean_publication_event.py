# publication_flag.py with the result published through an Event: clean.
import sys
import threading
import time

sys.setswitchinterval(1e-5)


class Job:
    def __init__(self):
        self.result = None
        self.done = threading.Event()


job = Job()


def work():
    time.sleep(0.01)
    job.result = 42
    job.done.set()


t = threading.Thread(target=work)
t.start()
job.done.wait()
print("result", job.result)
t.join()
