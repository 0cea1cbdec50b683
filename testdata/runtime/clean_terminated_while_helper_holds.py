# A worker process terminated (SIGTERM) while a helper's lock is held for its caller,
# whose finally would release it (logging's Handler.acquire() before emit): the release
# was cut off by the kill, not left out. No missed release.
import multiprocessing
import threading
import time

lock = threading.Lock()


def take():
    lock.acquire()


def work(ready):
    take()
    try:
        ready.set()
        time.sleep(60)
    finally:
        lock.release()


if __name__ == "__main__":
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()
    p = ctx.Process(target=work, args=(ready,))
    p.start()
    ready.wait()
    p.terminate()
    p.join()
    print("worker ended by signal", -p.exitcode)
