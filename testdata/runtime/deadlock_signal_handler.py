# A signal handler that takes a lock its own thread already holds: the handler runs in
# the main thread between two bytecodes, while that thread is inside `with lock:`. A
# plain Lock is not re-entrant, so the handler waits forever for its own thread.
import signal
import threading
import time

lock = threading.Lock()


def on_alarm(signum, frame):
    with lock:  # expect: deadlock
        print("alarm handled")


signal.signal(signal.SIGALRM, on_alarm)
with lock:
    signal.setitimer(signal.ITIMER_REAL, 0.05)
    time.sleep(5)
