# Check-then-act on a shared dict: both threads may find the key missing and both
# compute and store it. Reported once, at the store, with the check that preceded it.
import sys
import threading

sys.setswitchinterval(1e-5)
start = threading.Barrier(2)
cache = {}


def expensive(key):
    return key * key


def lookup_all(keys):
    start.wait()  # both threads run at once (a start line: it orders nothing after it)
    for key in keys:
        if key not in cache:
            cache[key] = expensive(key)  # expect: data-race


threads = [threading.Thread(target=lookup_all, args=(range(500),)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(cache), "entries")
