# A worker holds a lock while the main thread forks: the child is a copy with only the
# forking thread in it, so the lock stays locked there and nothing can release it.
import os
import threading

cache_lock = threading.Lock()
held = threading.Event()
done = threading.Event()


def worker():
    with cache_lock:
        held.set()
        done.wait()


t = threading.Thread(target=worker)
t.start()
held.wait()
pid = os.fork()  # expect: fork-with-held-lock
if pid == 0:
    # Taking cache_lock here would hang forever: leave at once.
    os._exit(0)
done.set()
t.join()
_, status = os.waitpid(pid, 0)
print("child exited with", os.waitstatus_to_exitcode(status))
