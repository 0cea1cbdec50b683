# ThreadPoolExecutor: arguments built before submit(), results read after result().
# submit -> the task -> result() orders every access: clean.
import sys
from concurrent.futures import ThreadPoolExecutor

sys.setswitchinterval(1e-5)


class Task:
    def __init__(self, n):
        self.n = n
        self.out = None


def run(task):
    task.out = task.n + 1
    return task


tasks = [Task(i) for i in range(200)]
with ThreadPoolExecutor(max_workers=4) as pool:
    futures = [pool.submit(run, t) for t in tasks]
    total = 0
    for f in futures:
        total += f.result().out
for t in tasks:
    t.n = -1
print(total)
