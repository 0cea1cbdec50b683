# Check-then-act on a list's size: both threads may see one element left and both pop;
# one gets IndexError. The truth test reads the list's shape, the pop writes it.
import sys
import threading

sys.setswitchinterval(1e-5)
start = threading.Barrier(2)
pending = list(range(3000))
failed = []


def drain():
    start.wait()
    while True:
        if pending:
            try:
                pending.pop()  # expect: data-race
            except IndexError:
                failed.append(1)
        else:
            break


threads = [threading.Thread(target=drain) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("left", len(pending))
