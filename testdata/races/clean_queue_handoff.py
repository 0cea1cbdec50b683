# Objects handed over through queue.Queue: the producer fills each job before put(),
# the consumer changes it after get(). put -> get orders them: clean.
import queue
import sys
import threading

sys.setswitchinterval(1e-5)


class Job:
    def __init__(self, n):
        self.n = n
        self.result = None
        self.log = {}


q = queue.Queue()
finished = []


def produce(count):
    for i in range(count):
        job = Job(i)
        job.log["made"] = i
        q.put(job)
    q.put(None)


def consume():
    while True:
        job = q.get()
        if job is None:
            return
        job.result = job.n * 2
        job.log["done"] = job.result
        finished.append(job)


threads = [threading.Thread(target=produce, args=(500,)), threading.Thread(target=consume)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(finished), sum(j.result for j in finished))
