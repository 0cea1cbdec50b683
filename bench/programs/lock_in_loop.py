# The seed program "mutual exclusion lock inside the for loop": 2 threads x 1,000,000
# acquire/release of one lock. Overhead target under `pyrace run`: <= 1.5x.
import threading
import time
g_num = 0
def test1(num):
    global g_num
    for i in range(num):
        mutex.acquire()
        g_num += 1
        mutex.release()
    print("---test1---g_num=%d"%g_num)
def test2(num):
    global g_num
    for i in range(num):
        mutex.acquire()
        g_num += 1
        mutex.release()
    print("---test2---g_num=%d"%g_num)
mutex = threading.Lock()
p1 = threading.Thread(target=test1, args=(1000000,))
p1.start()
p2 = threading.Thread(target=test2, args=(1000000,))
p2.start()
while len(threading.enumerate()) != 1:
    time.sleep(0.05)
print("final:%s" % g_num)
