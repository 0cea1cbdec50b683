import os
import threading
lock = threading.Lock()
with lock:
    pass
os._exit(7)
