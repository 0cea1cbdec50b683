# Ownership passed between a server thread and a client thread of one process through
# sockets: the bytes sent are what the receiver waits for, so what the sender did
# before the send is ordered before what the receiver does after the receive. A TCP
# connection and a Unix stream connection (paired by their two addresses, read here
# through a file object from makefile()) and a UDP datagram (by the address it is sent
# to). Clean.
import os
import socket
import tempfile
import threading


class Box:
    def __init__(self):
        self.value = None


tcp_box, reply_box, unix_box, udp_box = Box(), Box(), Box(), Box()
listener = socket.create_server(("127.0.0.1", 0))
port = listener.getsockname()[1]
path = os.path.join(tempfile.mkdtemp(), "s")
unix_listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
unix_listener.bind(path)
unix_listener.listen()
udp_server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp_server.bind(("127.0.0.1", 0))
udp_port = udp_server.getsockname()[1]


def server():
    conn, _ = listener.accept()
    conn.recv(1)
    tcp_box.value += 1
    reply_box.value = "ok"
    conn.sendall(b"r")
    uconn, _ = unix_listener.accept()
    with uconn, uconn.makefile("rb") as f:
        f.read(1)
        unix_box.value += 1
    udp_server.recvfrom(16)
    udp_box.value += 1
    conn.close()


def client():
    with socket.create_connection(("127.0.0.1", port)) as c:
        tcp_box.value = 1
        c.sendall(b"x")
        c.recv(1)
        reply_box.value += "!"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as u:
        u.connect(path)
        unix_box.value = 1
        u.sendall(b"y")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as d:
        udp_box.value = 1
        d.sendto(b"z", ("127.0.0.1", udp_port))


threads = [threading.Thread(target=server), threading.Thread(target=client)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for s in (listener, unix_listener, udp_server):
    s.close()
os.unlink(path)
print(tcp_box.value, reply_box.value, unix_box.value, udp_box.value)
