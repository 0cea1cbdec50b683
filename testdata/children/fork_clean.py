# The clean twin of fork_with_held_lock.py: the worker has released the lock before the
# fork, and the lock the forking thread holds itself is released by the child's own
# `with` (the child's only thread is the one that took it), so the child can use both.
import os
import threading

cache_lock = threading.Lock()
own_lock = threading.RLock()


def worker():
    with cache_lock:
        pass


t = threading.Thread(target=worker)
t.start()
t.join()
with own_lock:
    pid = os.fork()
if pid == 0:
    with cache_lock, own_lock:
        pass
    os._exit(0)
_, status = os.waitpid(pid, 0)
print("child exited with", os.waitstatus_to_exitcode(status))
