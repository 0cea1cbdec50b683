# One site updates two dict entries in turn, under a lock; another thread updates the
# second without it. That entry races, reported at the first site in the source: an
# access the first thread made to one entry never stands for the other, however often
# its site switches between them.
import threading

lock = threading.Lock()
counts = {"a": 0, "b": 0}


def both_locked():
    for i in range(200):
        key = "a" if i % 2 == 0 else "b"
        with lock:
            counts[key] += 1  # expect: data-race


def second_unlocked():
    counts["b"] += 1


threads = [threading.Thread(target=f) for f in (both_locked, second_unlocked)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(counts)
