# Check-then-act on an attribute: lazy initialization without a lock. Both threads may
# find None and both build the connection.
import sys
import threading

sys.setswitchinterval(1e-5)
start = threading.Barrier(2)


class Client:
    def __init__(self):
        self.conn = None

    def connection(self):
        if self.conn is None:
            self.conn = object()  # expect: data-race
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
