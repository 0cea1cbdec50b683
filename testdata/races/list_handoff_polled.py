# clean_deque_handoff.py's bug twin: the payload is handed over through a plain global
# polled with sleeps, which is no hand-off; the consumer's read races with the
# producer's write of the field.
import sys
import threading
import time

sys.setswitchinterval(1e-5)


class Payload:
    def __init__(self, n):
        self.n = n


slot = [None]


def produce():
    p = Payload(0)
    time.sleep(0.01)
    p.n = 7  # the field written after the payload was made visible
    slot[0] = p


def consume():
    while slot[0] is None:  # expect: data-race
        time.sleep(0.001)
    return slot[0].n  # expect: data-race


threads = [threading.Thread(target=produce), threading.Thread(target=consume)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("done")
