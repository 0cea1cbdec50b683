# snapshot_while_insert.py with the inserts and the snapshots under one lock: clean.
import sys
import threading
import time

sys.setswitchinterval(1e-5)
start = threading.Barrier(5)
lock = threading.Lock()
sessions = {}


def login(n):
    start.wait()
    for i in range(n):
        with lock:
            sessions["user%d" % i] = i
        if i % 50 == 0:
            time.sleep(0.0005)


def count(n):
    start.wait()
    for i in range(n):
        with lock:
            a = len(sessions)
        if i % 50 == 0:
            time.sleep(0.0005)


def listing(n):
    start.wait()
    for i in range(n):
        with lock:
            b = list(sessions)
        if i % 50 == 0:
            time.sleep(0.0005)


def ordering(n):
    start.wait()
    for i in range(n):
        with lock:
            c = sorted(sessions)
        if i % 50 == 0:
            time.sleep(0.0005)


def copying(n):
    start.wait()
    for i in range(n):
        with lock:
            d = sessions.copy()
        if i % 50 == 0:
            time.sleep(0.0005)


threads = [threading.Thread(target=f, args=(1000,)) for f in (login, count, listing, ordering, copying)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(sessions), "sessions")
