# clean_socket_handoff.py's bug twin: the client stores the value after sending the
# byte the server waits for, so the server's update after its receive is not ordered
# with the store: a lost update, whichever thread got there first.
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
    with conn:
        conn.recv(1)
        box.value += 1  # expect: data-race
        conn.sendall(b"r")


def client():
    with socket.create_connection(("127.0.0.1", port)) as c:
        c.sendall(b"x")
        box.value = 1
        c.recv(1)


threads = [threading.Thread(target=server), threading.Thread(target=client)]
for t in threads:
    t.start()
for t in threads:
    t.join()
listener.close()
print("done")
