"""A started thread's sentinel lock (`Thread._tstate_lock`, 3.10 to 3.12) is made by the
interpreter, which releases it itself when the thread's state is deleted. It is of the
type every other lock has, as plainly: a pickler registered for _thread.LockType
(dill's) takes it, and join(), is_alive(), locked() and repr() read the same."""

import _thread
import copyreg
import pickle
import threading


def make_lock(locked):
    lock = threading.Lock()
    if locked:
        lock.acquire()
    return lock


def reduce_lock(lock):
    return make_lock, (lock.locked(),)


copyreg.pickle(_thread.LockType, reduce_lock)

release = threading.Event()
worker = threading.Thread(target=release.wait, name="worker")
worker.start()
sentinel = getattr(worker, "_tstate_lock", None)
if sentinel is not None:
    print("a LockType:", type(sentinel) is _thread.LockType, isinstance(sentinel, _thread.LockType))
    print("locked while running:", sentinel.locked())
    print("its copy locked:", pickle.loads(pickle.dumps(sentinel)).locked())
    print("repr:", repr(sentinel).split(" object at ")[0])
    print("taken while running:", sentinel.acquire(False), sentinel.acquire(timeout=0.01))
print("alive:", worker.is_alive())
release.set()
worker.join()
print("alive after join:", worker.is_alive(), worker._tstate_lock if sentinel is not None else None)
if sentinel is not None:
    print("locked after join:", sentinel.locked(), repr(sentinel).split(" object at ")[0])
    with sentinel:
        print("held by main:", sentinel.locked())
    print("weakref:", type(__import__("weakref").ref(sentinel)).__name__)
