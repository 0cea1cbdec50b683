import os
import threading
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
