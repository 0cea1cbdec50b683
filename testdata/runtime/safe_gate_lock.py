# Safe twin of ABBA: both orders are taken only while holding the gate lock G, so the
# two threads can never interleave inside them. No report.
# Usage: safe_gate_lock.py [Lock|RLock|Condition]
# fixture: args Lock
# fixture: args RLock
# fixture: args Condition
import sys
import threading

KIND = sys.argv[1] if len(sys.argv) > 1 else "Lock"

G = threading.Lock()
A = getattr(threading, KIND)()
B = getattr(threading, KIND)()


def ab():
    with G:
        with A:
            with B:
                pass


def ba():
    with G:
        with B:
            with A:
                pass


for work in (ab, ba):
    t = threading.Thread(target=work)
    t.start()
    t.join()
