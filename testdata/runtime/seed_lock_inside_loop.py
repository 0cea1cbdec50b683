# The seed's "mutual exclusion lock inside the for loop": the lock is taken and released
# around every increment. Correct, so pyrace reports nothing.
import threading

g_num = 0


def test1(num):
    global g_num
    for i in range(num):
        mutex.acquire()
        g_num += 1
        mutex.release()


def test2(num):
    global g_num
    for i in range(num):
        mutex.acquire()
        g_num += 1
        mutex.release()


mutex = threading.Lock()

p1 = threading.Thread(target=test1, args=(20000,))
p1.start()
p2 = threading.Thread(target=test2, args=(20000,))
p2.start()
p1.join()
p2.join()
print("The final result after two threads operate on the same global variable is:%s" % g_num)
