# The main thread joins a worker while holding the lock the worker needs: the worker
# waits for the lock, the main thread waits for the worker. A wait-for cycle through
# Thread.join; the watchdog reports it and ends the run.
import threading

lock = threading.Lock()


def worker():
    with lock:  # expect: deadlock
        pass


with lock:
    t = threading.Thread(target=worker)
    t.start()
    t.join()
