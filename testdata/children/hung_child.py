# A child that deadlocks (ABBA with a barrier, so it always hangs): its watchdog
# reports it and ends it, like a hung top process.
import threading

A = threading.Lock()
B = threading.Lock()
both_hold_one = threading.Barrier(2)


def take_both(first, second):
    with first:
        both_hold_one.wait()
        with second:  # expect: deadlock
            pass


t1 = threading.Thread(target=take_both, args=(A, B))
t2 = threading.Thread(target=take_both, args=(B, A))
t1.start()
t2.start()
t1.join()
t2.join()
