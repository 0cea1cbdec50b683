# The seed's counter without a lock: two threads run `g_num += 1`. Whether or not this
# run loses an update, the two read-modify-writes are not ordered: a lost update.
import sys
import threading

sys.setswitchinterval(1e-5)  # switch often: nothing below may depend on the interleaving
start = threading.Barrier(2)
g_num = 0


def work(n):
    global g_num
    start.wait()  # both threads run at once (a start line: it orders nothing after it)
    for _ in range(n):
        g_num += 1  # expect: data-race


threads = [threading.Thread(target=work, args=(2000,)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("g_num =", g_num)
