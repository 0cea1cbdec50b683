# Threads that name themselves once running (`current_thread().name = ...`, common in
# worker pools): reports use the names they gave themselves.
import threading

total = 0


def work(i):
    global total
    threading.current_thread().name = "worker-%d" % i
    start.wait()
    for _ in range(200):
        total += 1  # expect: data-race


start = threading.Barrier(2)
threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
