# A context manager that acquires in __enter__ and releases in __exit__: the lock
# outlives the frame that acquired it, legitimately. Clean.
import threading


class Guarded:
    def __init__(self):
        self._lock = threading.Lock()
        self.value = 0

    def __enter__(self):
        self._lock.acquire()
        return self

    def __exit__(self, *exc):
        self._lock.release()
        return False


box = Guarded()


def worker():
    for _ in range(1000):
        with box as b:
            b.value += 1


threads = [threading.Thread(target=worker) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(box.value)
