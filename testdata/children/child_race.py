# Two threads of a child process count into one global without a lock.
import sys
import threading

sys.setswitchinterval(1e-5)
start = threading.Barrier(2)
counter = 0


def bump():
    global counter
    start.wait()
    for _ in range(2000):
        counter += 1  # expect: data-race


threads = [threading.Thread(target=bump) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("child counted", counter > 0)
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
