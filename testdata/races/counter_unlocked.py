# The seed's counter without a lock: two threads run `g_num += 1`. Whether or not this
# run loses an update, the two read-modify-writes are not ordered: a lost update.
import sys
import threading

sys.setswitchinterval(1e-5)  # switch often: nothing below may depend on the interleaving
g_num = 0


def work(n):
    global g_num
    for _ in range(n):
        g_num += 1  # expect: data-race


threads = [threading.Thread(target=work, args=(2000,)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("g_num =", g_num)
