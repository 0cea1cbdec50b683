# An RLock may only be released by the thread that owns it: the main thread's release
# of the worker's RLock raises RuntimeError, and pyrace reports it.
import threading

rlock = threading.RLock()
held = threading.Event()
done = threading.Event()


def owner():
    rlock.acquire()
    held.set()
    done.wait()
    rlock.release()


t = threading.Thread(target=owner)
t.start()
held.wait()
try:
    rlock.release()  # expect: bad-release
except RuntimeError as e:
    print("RuntimeError:", e)
done.set()
t.join()
