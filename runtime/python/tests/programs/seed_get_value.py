# The seed's early return without release: Thread-5 keeps the lock, every later
# thread blocks on it forever and the main thread waits for them at exit.
import threading
import time

lock = threading.Lock()


def get_value(index):
    lock.acquire()
    my_list = [3, 6, 8, 1]
    if index >= len(my_list):
        return
    value = my_list[index]
    time.sleep(0.01)
    lock.release()
    return value


if __name__ == "__main__":
    for i in range(30):
        threading.Thread(target=get_value, args=(i,)).start()
