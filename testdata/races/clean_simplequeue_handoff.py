# The same hand-off through queue.SimpleQueue (the C _queue.SimpleQueue): clean.
import queue
import sys
import threading

sys.setswitchinterval(1e-5)
q = queue.SimpleQueue()
results = {}


def produce(count):
    for i in range(count):
        box = {"value": i}
        box["square"] = i * i
        q.put(box)
    q.put(None)


def consume():
    while True:
        box = q.get()
        if box is None:
            return
        box["value"] += 1
        results[box["value"]] = box["square"]


threads = [threading.Thread(target=produce, args=(500,)), threading.Thread(target=consume)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(results))
