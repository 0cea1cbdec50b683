# One site updates two dict entries in turn, under a lock; later another thread updates
# the second without it. That entry races: an access the first thread made to one entry
# never stands for the other, however often its site switches between them.
import threading
import time

lock = threading.Lock()
counts = {"a": 0, "b": 0}


def both_locked():
    for i in range(2000):
        key = "a" if i % 2 == 0 else "b"
        with lock:
            counts[key] += 1


def second_unlocked():
    time.sleep(0.2)  # (orders nothing: only makes this thread's update the later one)
    counts["b"] += 1  # expect: data-race


threads = [threading.Thread(target=f) for f in (both_locked, second_unlocked)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(counts)
