# A function that raises between acquire() and release(): the exception skips the
# release, the caller swallows it, and the lock stays held after the function ended.
import threading

lock = threading.Lock()


def parse(text):
    lock.acquire()  # expect: missed-release
    value = int(text)
    lock.release()
    return value


def worker():
    for text in ("1", "x"):
        try:
            parse(text)
        except ValueError:
            pass


t = threading.Thread(target=worker)
t.start()
t.join()
