# Python 3.13+: raw _thread.start_joinable_thread() handles. Results are read after
# handle.join() or once handle.is_done() says so: clean, both saw the thread's end.
# fixture: helper (RaceEdges.JoinableThreadHandleJoinAndIsDoneOrderTheThreadsEnd: Python 3.13+)
import _thread
import sys
import time

sys.setswitchinterval(1e-5)

results = {}


def work(key, n):
    for i in range(n):
        results[key] = results.get(key, 0) + i


a = _thread.start_joinable_thread(lambda: work("a", 300))
b = _thread.start_joinable_thread(lambda: work("b", 300))
a.join()
results["a"] += 1
while not b.is_done():
    time.sleep(0.001)
results["b"] += 1
b.join()
print(sorted(results.items()), a.ident != b.ident, repr(a).startswith("<_thread._ThreadHandle"))
