# Polling is_alive() orders only what comes after its False answer. The main thread
# reads the worker's result as soon as a pipe says it is there (a pipe is not a
# happens-before edge): a race; its update after the poll is ordered.
import os
import threading
import time

total = 0
r, w = os.pipe()


def work():
    global total
    total += 1
    os.write(w, b"x")


t = threading.Thread(target=work)
t.start()
os.read(r, 1)
snapshot = total  # expect: data-race
while t.is_alive():
    time.sleep(0.001)
total += 1
print(snapshot, total)
