# check_then_act_pop.py with the test and the pop under one lock: clean.
import sys
import threading

sys.setswitchinterval(1e-5)
start = threading.Barrier(2)
lock = threading.Lock()
pending = list(range(3000))


def drain():
    start.wait()
    while True:
        with lock:
            if pending:
                pending.pop()
            else:
                break


threads = [threading.Thread(target=drain) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("left", len(pending))
