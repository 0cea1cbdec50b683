# check_then_act_dict.py done right without a lock: dict.setdefault is one atomic
# operation, and two setdefaults of one key commute (the first value wins for both).
import sys
import threading

sys.setswitchinterval(1e-5)
start = threading.Barrier(2)
groups = {}


def collect(keys):
    start.wait()
    for key in keys:
        groups.setdefault(key % 10, [])


threads = [threading.Thread(target=collect, args=(range(500),)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(groups), "groups")
