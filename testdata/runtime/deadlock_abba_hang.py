# A real ABBA deadlock: each thread holds one lock and waits for the other's. The
# barrier makes sure both hold their first lock before either asks for its second, so
# the run always hangs; the watchdog reports it and ends the run. Both threads wait on
# the same line, in take_both.
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
