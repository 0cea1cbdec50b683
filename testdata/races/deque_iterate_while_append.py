# Iterating a collections.deque while another thread appends to it: "deque mutated
# during iteration" waiting to happen. Appends and pops are atomic hand-offs and never
# race with each other, but the loop reads the deque's shape, which every append
# writes; nothing orders the two threads, in any interleaving.
import threading
from collections import deque

events = deque()


def record(n):
    for i in range(n):
        events.append(i)


def summarize(n):
    total = 0
    for _ in range(n):
        try:
            for e in events:  # expect: data-race
                total += e
        except RuntimeError:  # the interleaving that shows the bug
            pass
    return total


threads = [threading.Thread(target=record, args=(500,)), threading.Thread(target=summarize, args=(50,))]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(events), "events")
