# clean_socket_handoff.py over TLS: the client stores the value, then sends the byte
# the server waits for through an ssl socket; the server updates it after its receive.
# The records go over the TCP connection, so the send orders the store before the
# update. Clean.
import os
import socket
import ssl
import threading

CERT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ssl_keycert.pem")


class Box:
    def __init__(self):
        self.value = 0


box = Box()
server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
server_ctx.load_cert_chain(CERT)
client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
client_ctx.check_hostname = False
client_ctx.verify_mode = ssl.CERT_NONE
listener = socket.create_server(("127.0.0.1", 0))
port = listener.getsockname()[1]


def server():
    conn, _ = listener.accept()
    with server_ctx.wrap_socket(conn, server_side=True) as tls:
        tls.recv(1)
        box.value += 1
        tls.sendall(b"r")


def client():
    with client_ctx.wrap_socket(socket.create_connection(("127.0.0.1", port))) as tls:
        box.value = 1
        tls.sendall(b"x")
        tls.recv(1)


threads = [threading.Thread(target=server), threading.Thread(target=client)]
for t in threads:
    t.start()
for t in threads:
    t.join()
listener.close()
print(box.value)
