# One thread updates a field, takes and releases a lock for something else, and updates
# the field again; the other thread takes the lock afterwards and updates the field. The
# lock orders the other thread after the first update only: the second one, made after
# the release, races with the other thread's (a lost update). The first thread's two
# updates are one site and one epoch apart with nothing in between that another thread
# could see, except the free lock: that is what keeps the second one recorded.
import threading
import time

lock = threading.Lock()


class Box:
    pass


box = Box()
box.n = 0


def bump(b):
    b.n += 1  # expect: data-race


def first(b):
    bump(b)
    with lock:
        pass
    bump(b)


def second(b):
    time.sleep(0.2)  # (orders nothing: only makes the race show after the first thread's updates)
    with lock:
        bump(b)


later = threading.Thread(target=second, args=(box,))
later.start()
now = threading.Thread(target=first, args=(box,))
now.start()
for t in (now, later):
    t.join()
print("n =", box.n)
