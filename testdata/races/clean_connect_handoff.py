# A client thread fills in what the server thread reads once it has accepted the
# connection, with no byte sent: the connect is what the accept waits for, so what the
# client did before connecting is ordered before what the server does after accepting.
# TCP and a Unix stream socket. Clean.
import os
import socket
import tempfile
import threading


class Box:
    def __init__(self):
        self.value = None


tcp_box, unix_box = Box(), Box()
listener = socket.create_server(("127.0.0.1", 0))
port = listener.getsockname()[1]
path = os.path.join(tempfile.mkdtemp(), "s")
unix_listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
unix_listener.bind(path)
unix_listener.listen()


def server():
    conn, _ = listener.accept()
    tcp_box.value += 1
    uconn, _ = unix_listener.accept()
    unix_box.value += 1
    conn.close()
    uconn.close()


def client():
    tcp_box.value = 1
    c = socket.create_connection(("127.0.0.1", port))
    unix_box.value = 1
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    u.connect(path)
    c.close()
    u.close()


threads = [threading.Thread(target=server), threading.Thread(target=client)]
for t in threads:
    t.start()
for t in threads:
    t.join()
listener.close()
unix_listener.close()
os.unlink(path)
print(tcp_box.value, unix_box.value)
