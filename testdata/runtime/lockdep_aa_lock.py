# lockdep's AA pattern with a plain Lock: the thread acquires a lock it already holds.
# A plain Lock is not re-entrant, so this is a real hang; the watchdog reports it as a
# deadlock (the thread waits for a lock it holds itself) and ends the run.
import threading

A = threading.Lock()


def twice():
    with A:
        with A:  # expect: deadlock
            pass


twice()
