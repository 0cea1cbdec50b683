# Raw _thread threads whose results are read once _thread._count() dropped back to
# the count before they started (test.support.threading_helper.wait_threads_exit):
# clean, the count is decremented as each thread ends. A new thread adds itself to
# the count when it begins to run, so the workers wait until all three run.
import _thread
import sys
import threading
import time

sys.setswitchinterval(1e-5)

slots = [0, 0, 0]
done_by = {}
go = threading.Event()


def work(i, n):
    go.wait()
    for _ in range(n):
        slots[i] += 1
    done_by[i] = _thread.get_ident()


before = _thread._count()
for i in range(3):
    _thread.start_new_thread(work, (i, 300))
while _thread._count() != before + 3:
    time.sleep(0.001)
go.set()
while _thread._count() != before:
    time.sleep(0.001)
slots[0] += 1
print(slots, len(done_by))
