# A bare os.fork(): the child races, the parent waits for it.
import os
import sys
import threading

sys.setswitchinterval(1e-5)
counter = 0


def bump():
    global counter
    for _ in range(2000):
        counter += 1  # expect: data-race


pid = os.fork()
if pid == 0:
    threads = [threading.Thread(target=bump) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    os._exit(0)
_, status = os.waitpid(pid, 0)
print("forked child exited", os.waitstatus_to_exitcode(status))
