# The lock only around part of the update: the read is guarded, the write is not. A
# check-then-act: the write races with the other thread's write (and its locked read);
# one report at the write, showing the read it was based on and naming `mutex` as the
# lock the write forgot.
import sys
import threading

sys.setswitchinterval(1e-5)
start = threading.Barrier(2)
g_num = 0
mutex = threading.Lock()


def work(n):
    global g_num
    start.wait()  # both threads run at once (a start line: it orders nothing after it)
    for _ in range(n):
        with mutex:
            current = g_num
        g_num = current + 1  # expect: data-race


threads = [threading.Thread(target=work, args=(2000,)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("g_num =", g_num)
