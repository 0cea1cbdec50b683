# A bare os.fork(): the child races, the parent waits for it.
import os
import sys
import threading

sys.setswitchinterval(1e-5)
counter = 0


def bump(start):
    global counter
    start.wait()
    for _ in range(2000):
        counter += 1  # expect: data-race


pid = os.fork()
if pid == 0:
    start = threading.Barrier(2)
    threads = [threading.Thread(target=bump, args=(start,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    os._exit(0)
_, status = os.waitpid(pid, 0)
print("forked child exited", os.waitstatus_to_exitcode(status))
