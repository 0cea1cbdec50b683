# Ownership passed through os.pipe() and socket.socketpair() between two threads of one
# process: the byte written is what the reader waits for, so what the writer did before
# the write is ordered before what the reader does after the read. Clean.
import os
import socket
import sys
import threading

sys.setswitchinterval(1e-5)


class Box:
    def __init__(self):
        self.value = None


box = Box()
other = Box()
r, w = os.pipe()
a, b = socket.socketpair()


def writer():
    box.value = 1
    os.write(w, b"x")
    other.value = 2
    a.sendall(b"y")


def reader():
    os.read(r, 1)
    box.value += 1
    b.recv(1)
    other.value += 1


threads = [threading.Thread(target=reader), threading.Thread(target=writer)]
for t in threads:
    t.start()
for t in threads:
    t.join()
os.close(r)
os.close(w)
a.close()
b.close()
print(box.value, other.value)
