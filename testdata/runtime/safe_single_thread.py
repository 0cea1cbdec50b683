# Safe twin of ABBA: both orders are taken by the same single thread, which cannot
# deadlock with itself through two different locks. No report.
# Usage: safe_single_thread.py [Lock|RLock|Condition]
# fixture: args Lock
# fixture: args RLock
# fixture: args Condition
import sys
import threading

KIND = sys.argv[1] if len(sys.argv) > 1 else "Lock"

A = getattr(threading, KIND)()
B = getattr(threading, KIND)()

with A:
    with B:
        pass
with B:
    with A:
        pass
