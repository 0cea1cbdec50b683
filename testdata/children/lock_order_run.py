# One side of a lock-order inversion per run: `ab` takes accounts_lock then audit_lock,
# `ba` the reverse. Neither run can deadlock alone (one thread, one order), but two
# processes of the same code, or two recorded runs merged by `pyrace replay`, show
# both orders of the same two lock classes.
import sys
import threading

accounts_lock = threading.Lock()
audit_lock = threading.Lock()


def transfer():
    with accounts_lock:
        with audit_lock:
            pass


def audit():
    with audit_lock:
        with accounts_lock:  # expect: lock-order-inversion
            pass


t = threading.Thread(target=transfer if sys.argv[1] == "ab" else audit)
t.start()
t.join()
print("done", sys.argv[1])
