# The same producer and consumer with a Condition around the list: clean.
import sys
import threading

sys.setswitchinterval(1e-5)
items = []
cond = threading.Condition()


def produce(n):
    for i in range(n):
        with cond:
            items.append(i)
            cond.notify()


def consume(n):
    for _ in range(n):
        with cond:
            while len(items) == 0:
                cond.wait()
            items.pop(0)


producer = threading.Thread(target=produce, args=(3000,))
consumer = threading.Thread(target=consume, args=(3000,))
producer.start()
consumer.start()
producer.join()
consumer.join()
with cond:
    print("left:", len(items))
