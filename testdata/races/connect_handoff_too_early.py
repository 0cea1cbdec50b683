# clean_connect_handoff.py's bug twin: the client stores the value after connecting,
# so the server's update after its accept is not ordered with the store: a lost
# update, whichever thread got there first.
import socket
import threading


class Box:
    def __init__(self):
        self.value = 0


box = Box()
listener = socket.create_server(("127.0.0.1", 0))
port = listener.getsockname()[1]


def server():
    conn, _ = listener.accept()
    box.value += 1  # expect: data-race
    conn.close()


def client():
    c = socket.create_connection(("127.0.0.1", port))
    box.value = 1
    c.close()


threads = [threading.Thread(target=server), threading.Thread(target=client)]
for t in threads:
    t.start()
for t in threads:
    t.join()
listener.close()
print("done")
