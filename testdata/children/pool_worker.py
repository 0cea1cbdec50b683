# The work a spawn pool's worker does: two threads of the worker race on a global.
import sys
import threading

total = 0


def bump(start):
    global total
    start.wait()
    for _ in range(2000):
        total += 1  # expect: data-race


def work(n):
    sys.setswitchinterval(1e-5)
    start = threading.Barrier(2)
    threads = [threading.Thread(target=bump, args=(start,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return n
