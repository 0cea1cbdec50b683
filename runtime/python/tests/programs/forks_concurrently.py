"""16 threads fork at once, 10 times each. The runtime stops its own threads before a
fork and starts them after; with threads forking together those stops and starts
overlap (each waits with the GIL released), and the watchdog must end up stopped for
every fork, started once after the last, and never joined twice."""
import os
import threading
import warnings

THREADS = 16
FORKS_EACH = 10


def fork_and_wait():
    for _ in range(FORKS_EACH):
        pid = os.fork()
        if pid == 0:
            os._exit(50)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 50


warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads
threads = [threading.Thread(target=fork_and_wait) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("forked", THREADS * FORKS_EACH)
