# sys.exit(3) after some clean locking: pyrace passes the program's exit code through.
# fixture: exit 3
import sys
import threading

lock = threading.Lock()


def worker():
    with lock:
        pass


t = threading.Thread(target=worker)
t.start()
t.join()
sys.exit(3)
