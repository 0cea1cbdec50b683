# lazy_init_attr.py with the check and the store under the object's lock: clean.
import sys
import threading

sys.setswitchinterval(1e-5)
start = threading.Barrier(2)


class Client:
    def __init__(self):
        self.lock = threading.Lock()
        self.conn = None

    def connection(self):
        with self.lock:
            if self.conn is None:
                self.conn = object()
            return self.conn


client = Client()


def use():
    start.wait()
    for _ in range(200):
        client.connection()


threads = [threading.Thread(target=use) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("connected", client.conn is not None)
