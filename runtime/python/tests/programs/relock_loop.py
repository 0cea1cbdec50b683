# A worker updates one field 1000 times, each time under a lock it takes and releases
# again (mode "relock"), or right after releasing a lock nobody takes back (mode
# "after_release"). Prints how many accesses the runtime recorded.
import sys
import threading

import _pyrace

MODE = sys.argv[1]
lock = threading.Lock()


class Box:
    pass


box = Box()
box.n = 0


def relock(b):
    for _ in range(1000):
        with lock:
            b.n += 1


def after_release(b):
    for _ in range(1000):
        with lock:
            pass
        b.n += 1


t = threading.Thread(target=relock if MODE == "relock" else after_release, args=(box,))
t.start()
t.join()
print(box.n, _pyrace.access_stats()["access_events"])
