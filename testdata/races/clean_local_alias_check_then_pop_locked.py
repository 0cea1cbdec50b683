# local_alias_check_then_pop.py with the test and the pop under one lock: clean.
import threading

shared = list(range(2000))
lock = threading.Lock()


def drain(items):
    pending = items
    n = 0
    while True:
        with lock:
            if pending:
                pending.pop()
                n += 1
            else:
                return n


threads = [threading.Thread(target=drain, args=(shared,)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(shared), "left")
