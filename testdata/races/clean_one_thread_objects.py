# Objects created and used by one thread only, many of them short-lived: CPython hands
# a freed object's memory to the next one, often in another thread, so this is also
# the test that shadow state is forgotten when an object dies: clean.
import sys
import threading

sys.setswitchinterval(1e-5)


class Point:
    def __init__(self, x):
        self.x = x
        self.y = 0


def work(n):
    total = 0
    for i in range(n):
        p = Point(i)
        p.y = p.x + 1
        d = {"a": i}
        d["a"] += 1
        lst = [i]
        lst.append(d["a"])
        lst[0] = p.y
        total += lst[0] + len(lst)
    return total


threads = [threading.Thread(target=work, args=(3000,)) for _ in range(3)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("ok")
