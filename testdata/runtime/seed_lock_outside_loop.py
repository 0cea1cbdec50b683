# The seed's "mutual exclusion lock outside of the for loop": each thread holds the lock
# for its whole loop. Correct, so pyrace reports nothing. (Smaller counts than the seed,
# join instead of sleep(2), and the totals read under the lock, so the run is fast and
# its result deterministic.)
import threading

g_num = 0


def test1(num):
    global g_num
    mutex.acquire()
    for i in range(num):
        g_num += 1
    total = g_num
    mutex.release()
    print("-----in test1 g_num=%d----" % total)


def test2(num):
    global g_num
    mutex.acquire()
    for i in range(num):
        g_num += 1
    total = g_num
    mutex.release()
    print("-----in test2 g_num=%d=----" % total)


mutex = threading.Lock()


def main():
    t1 = threading.Thread(target=test1, args=(20000,))
    t2 = threading.Thread(target=test2, args=(20000,))
    t1.start()
    t2.start()
    t1.join()
    t2.join()
    print("-----in main Thread g_num = %d---" % g_num)


if __name__ == "__main__":
    main()
