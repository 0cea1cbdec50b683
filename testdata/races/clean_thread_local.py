# threading.local: every thread has its own attributes: clean.
import sys
import threading

sys.setswitchinterval(1e-5)
local = threading.local()


def work(i):
    local.count = 0
    local.seen = []
    for k in range(500):
        local.count += 1
        local.seen.append(k)
    assert local.count == 500 and len(local.seen) == 500


threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("ok")
