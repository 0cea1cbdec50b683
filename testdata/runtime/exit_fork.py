# os.fork: the child does its own locking and exits; the parent waits for it and then
# shows a lock-order inversion, which must still be recorded and reported.
import os
import threading

A = threading.Lock()
B = threading.Lock()


def ab():
    with A:
        with B:
            pass


def ba():
    with B:
        with A:  # expect: lock-order-inversion
            pass


pid = os.fork()
if pid == 0:
    with A:
        pass
    os._exit(0)
_, status = os.waitpid(pid, 0)
print("child exit status:", os.waitstatus_to_exitcode(status))
for work in (ab, ba):
    t = threading.Thread(target=work)
    t.start()
    t.join()
