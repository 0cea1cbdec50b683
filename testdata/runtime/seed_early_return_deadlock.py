# The seed's deadlock: get_value returns early for an index out of range without
# releasing the lock. The thread that takes that path ends still holding it, and every
# later thread waits for it forever. pyrace reports the missed release at the acquire,
# the hang where the threads wait, and ends the run (exit code 66) instead of hanging.
import threading
import time

# Create a mutual exclusion lock
lock = threading.Lock()


# According to the index to get values, ensuring that only one thread can access it at the same time
def get_value(index):
    # Acquire the lock
    lock.acquire()  # expect: missed-release, deadlock
    print(threading.current_thread())
    my_list = [3, 6, 8, 1]
    # Check for index overflow
    if index >= len(my_list):
        print("Index out of bounds:", index)
        return
    value = my_list[index]
    print(f'Value is:{value}')
    time.sleep(0.02)
    # Release the lock
    lock.release()


if __name__ == '__main__':
    # Simulate a large number of threads executing get_value operations
    for i in range(30):
        sub_thread = threading.Thread(target=get_value, args=(i,))
        sub_thread.start()
