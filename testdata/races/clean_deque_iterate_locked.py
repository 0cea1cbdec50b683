# deque_iterate_while_append.py with the appends and the loop under one lock, and a
# consumer taking items with popleft (a hand-off, no race with the appends): clean.
import threading
from collections import deque

lock = threading.Lock()
events = deque()
taken = deque()


def record(n):
    for i in range(n):
        with lock:
            events.append(i)
        taken.append(i)


def consume(n):
    got = 0
    while got < n:
        try:
            taken.popleft()
            got += 1
        except IndexError:
            pass
    return got


def summarize(n):
    total = 0
    for _ in range(n):
        with lock:
            for e in events:
                total += e
    return total


threads = [threading.Thread(target=record, args=(500,)), threading.Thread(target=summarize, args=(50,)),
           threading.Thread(target=consume, args=(500,))]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(events), "events", len(taken), "left")
