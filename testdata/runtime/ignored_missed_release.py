# The seed's early-return bug, silenced on purpose with an ignore comment on the
# acquire line (where pyrace reports the missed release). Nothing waits for the lock
# afterwards, so nothing hangs. Clean.
import threading

lock = threading.Lock()


def get_value(index):
    lock.acquire()  # pyrace: ignore[missed-release]
    if index >= 4:
        return None
    value = [3, 6, 8, 1][index]
    lock.release()
    return value


t = threading.Thread(target=get_value, args=(7,))
t.start()
t.join()
print(lock.locked())
