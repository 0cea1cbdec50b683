# The program kills itself with SIGKILL: no handler runs, the trace ends wherever the
# last flushed chunk ended. pyrace says so and exits 128+9.
# fixture: helper (tests/e2e/cli_test.cpp: the message and 128+9)
import os
import signal
import threading

lock = threading.Lock()
for _ in range(100):
    with lock:
        pass
os.kill(os.getpid(), signal.SIGKILL)
