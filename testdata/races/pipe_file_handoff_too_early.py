# clean_pipe_file_handoff.py's bug twin: the writer stores the value after writing the
# byte the reader waits for, so the reader's update is not ordered with the store.
import os
import threading


class Box:
    def __init__(self):
        self.value = 0


box = Box()
r, w = os.pipe()
reader_file, writer_file = os.fdopen(r, "rb"), os.fdopen(w, "wb")
done_r, done_w = os.pipe()


def writer():
    writer_file.write(b"x")
    writer_file.flush()
    box.value = 1
    os.read(done_r, 1)


def reader():
    reader_file.read(1)
    box.value += 1  # expect: data-race
    os.write(done_w, b"d")


threads = [threading.Thread(target=reader), threading.Thread(target=writer)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for f in (reader_file, writer_file):
    f.close()
for fd in (done_r, done_w):
    os.close(fd)
print("done")
