# Releasing a Lock nobody holds: CPython raises RuntimeError; pyrace reports the release.
import threading

lock = threading.Lock()
try:
    lock.release()  # expect: bad-release
except RuntimeError as e:
    print("RuntimeError:", e)
