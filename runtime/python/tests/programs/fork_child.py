import os
import threading
import warnings
warnings.simplefilter("always")  # 3.12+ warns on fork() in a multi-threaded process
lock = threading.Lock()
pid = os.fork()
if pid == 0:
    with lock:
        pass
    os._exit(0)
_, status = os.waitpid(pid, 0)
with lock:
    pass
print("child", os.waitstatus_to_exitcode(status))
