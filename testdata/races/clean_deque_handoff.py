# Ownership passed through a collections.deque (append -> popleft, documented
# thread-safe): the consumer's accesses to each payload are ordered after the
# producer's. Clean.
import sys
import threading
import time
from collections import deque

sys.setswitchinterval(1e-5)
jobs = deque()


class Payload:
    def __init__(self, n):
        self.n = n
        self.result = None


def produce(count):
    for i in range(count):
        p = Payload(i)
        p.n = i * 2
        jobs.append(p)
    jobs.append(None)


def consume(out):
    while True:
        try:
            p = jobs.popleft()
        except IndexError:
            time.sleep(0.0001)
            continue
        if p is None:
            return
        p.result = p.n + 1
        out.append(p.result)


out = []
threads = [threading.Thread(target=produce, args=(500,)), threading.Thread(target=consume, args=(out,))]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(out))
