# A list shared by a producer and a consumer without a lock: the appends, the length
# checks and the pops are unordered writes and reads of the same list.
import sys
import threading
import time

sys.setswitchinterval(1e-5)
items = []
done = threading.Event()


def produce(n):
    for i in range(n):
        items.append(i)
        if i % 100 == 0:
            time.sleep(0.001)  # let the consumer in: sleeping orders nothing
    done.set()


def consume():
    taken = 0
    while not done.is_set() or taken < 3000:
        if len(items) > 0:  # expect: data-race
            items.pop(0)  # expect: data-race
            taken += 1
    return taken


producer = threading.Thread(target=produce, args=(3000,))
consumer = threading.Thread(target=consume)
producer.start()
consumer.start()
producer.join()
consumer.join()
print("left:", len(items))
