# A plain Lock acquired by one thread and released by another is allowed (it is a
# binary semaphore): the worker takes it, the main thread releases it. Clean.
import threading

lock = threading.Lock()


def worker():
    lock.acquire()


t = threading.Thread(target=worker)
t.start()
t.join()
lock.release()
print("released by main:", not lock.locked())
