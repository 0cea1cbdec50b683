# A pipe's ends, closed through their file objects, are not a channel any more: the
# descriptor numbers go to the next file opened, and writes and reads of that regular
# file order nothing. The main thread's update is not ordered with the worker's store.
import os
import tempfile
import threading
import time


class Box:
    def __init__(self):
        self.value = 0


box = Box()
path = os.path.join(tempfile.mkdtemp(), "f")
r, w = os.pipe()
with os.fdopen(w, "wb") as fw, os.fdopen(r, "rb") as fr:
    fw.write(b"x")
    fw.flush()
    fr.read(1)
# The lowest free number: the pipe's read end, just closed.
fd = os.open(path, os.O_RDWR | os.O_CREAT)


def worker():
    box.value = 1
    os.write(fd, b"a")


t = threading.Thread(target=worker)
t.start()
time.sleep(0.2)  # not an edge: the worker's write most likely comes first
os.lseek(fd, 0, os.SEEK_SET)
os.read(fd, 1)
box.value += 1  # expect: data-race
t.join()
os.close(fd)
os.unlink(path)
os.rmdir(os.path.dirname(path))
print("done")
