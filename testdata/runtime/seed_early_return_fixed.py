# The seed's fix: the early return releases the lock first. Clean.
import threading
import time

# Create a mutual exclusion lock
lock = threading.Lock()


# According to the index to get values, ensuring that only one thread can access it at the same time
def get_value(index):
    # Acquire the lock
    lock.acquire()
    print(threading.current_thread())
    my_list = [3, 6, 8, 1]
    if index >= len(my_list):
        print("Index out of bounds:", index)
        # When the index is out of bounds, release the lock to allow subsequent threads to access it
        lock.release()
        return
    value = my_list[index]
    print(value)
    time.sleep(0.02)
    # Release the lock
    lock.release()


if __name__ == '__main__':
    # Simulate a large number of threads executing get_value operations
    for i in range(10):
        sub_thread = threading.Thread(target=get_value, args=(i,))
        sub_thread.start()
