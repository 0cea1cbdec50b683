# clean_ssl_handoff.py's bug twin: the client stores the value after sending the byte
# the server waits for, so the server's update after its receive is not ordered with
# the store: a lost update, whichever thread got there first.
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
        box.value += 1  # expect: data-race
        tls.sendall(b"r")


def client():
    with client_ctx.wrap_socket(socket.create_connection(("127.0.0.1", port))) as tls:
        tls.sendall(b"x")
        box.value = 1
        tls.recv(1)


threads = [threading.Thread(target=server), threading.Thread(target=client)]
for t in threads:
    t.start()
for t in threads:
    t.join()
listener.close()
print("done")
