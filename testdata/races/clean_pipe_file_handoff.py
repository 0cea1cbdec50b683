# Ownership passed through os.pipe() ends wrapped in file objects (os.fdopen, open on
# the descriptor): the file objects write and read in C, through the raw FileIO, and
# the byte written is still what the reader waits for. Buffered, unbuffered and text
# layers. Clean.
import os
import threading


class Box:
    def __init__(self):
        self.value = None


boxes = [Box(), Box(), Box()]
pipes = [os.pipe() for _ in boxes]
readers = [os.fdopen(pipes[0][0], "rb"), open(pipes[1][0], "rb", buffering=0), os.fdopen(pipes[2][0], "r")]
writers = [os.fdopen(pipes[0][1], "wb"), open(pipes[1][1], "wb", buffering=0), os.fdopen(pipes[2][1], "w")]


def writer():
    for box, w in zip(boxes, writers):
        box.value = 1
        w.write(b"x" if "b" in w.mode else "x")
        w.flush()


def reader():
    for box, r in zip(boxes, readers):
        r.read(1)
        box.value += 1


threads = [threading.Thread(target=reader), threading.Thread(target=writer)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for f in readers + writers:
    f.close()
print([b.value for b in boxes])
