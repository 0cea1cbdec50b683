# An uncaught exception in the main thread: the normal traceback and exit code 1.
# fixture: exit 1
import threading

lock = threading.Lock()
with lock:
    pass
raise ValueError("the program fails on its own")
