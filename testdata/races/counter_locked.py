# The seed's counter with the lock around every update: correct, nothing to report.
import sys
import threading

sys.setswitchinterval(1e-5)
g_num = 0
mutex = threading.Lock()


def work(n):
    global g_num
    for _ in range(n):
        with mutex:
            g_num += 1


threads = [threading.Thread(target=work, args=(2000,)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("g_num =", g_num)
