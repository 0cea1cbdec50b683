# Phases separated by a Barrier: each thread writes its own slot, then after the
# barrier reads everyone's. Barrier.wait orders the phases: clean.
import sys
import threading

sys.setswitchinterval(1e-5)
N = 4
slots = [0] * N
sums = [0] * N
barrier = threading.Barrier(N)


def phase(i):
    slots[i] = i * 10
    barrier.wait()
    sums[i] = sum(slots)


threads = [threading.Thread(target=phase, args=(i,)) for i in range(N)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sums)
