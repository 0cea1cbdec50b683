# Measuring or copying a dict while another thread inserts: len, list(), sorted() and
# copy() each read the dict's shape, which every insert of a new key writes.
import sys
import threading
import time

sys.setswitchinterval(1e-5)
start = threading.Barrier(5)
sessions = {}


def login(n):
    start.wait()
    for i in range(n):
        sessions["user%d" % i] = i  # expect: data-race
        if i % 50 == 0:
            time.sleep(0.0005)  # let the readers in: sleeping orders nothing


def count(n):
    start.wait()
    for i in range(n):
        a = len(sessions)  # expect: data-race
        if i % 50 == 0:
            time.sleep(0.0005)


def listing(n):
    start.wait()
    for i in range(n):
        b = list(sessions)  # expect: data-race
        if i % 50 == 0:
            time.sleep(0.0005)


def ordering(n):
    start.wait()
    for i in range(n):
        c = sorted(sessions)  # expect: data-race
        if i % 50 == 0:
            time.sleep(0.0005)


def copying(n):
    start.wait()
    for i in range(n):
        d = sessions.copy()  # expect: data-race
        if i % 50 == 0:
            time.sleep(0.0005)


threads = [threading.Thread(target=f, args=(1000,)) for f in (login, count, listing, ordering, copying)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(sessions), "sessions")
