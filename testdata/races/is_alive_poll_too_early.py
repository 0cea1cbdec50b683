# Polling is_alive() orders only what comes after its False answer. The main thread
# reads the worker's result after sleeping long enough (a sleep is not a
# happens-before edge): a race; its update after the poll is ordered.
import threading
import time

total = 0


def work():
    global total
    total += 1


t = threading.Thread(target=work)
t.start()
time.sleep(0.05)
snapshot = total  # expect: data-race
while t.is_alive():
    time.sleep(0.001)
total += 1
print(snapshot, total)
