# A request handler that calls a synchronous client: while it waits for the backend,
# no other request is served. The backend is a thread that answers after 300 ms.
import asyncio
import socket
import threading


def backend(server):
    conn, _ = server.accept()
    with conn:
        conn.recv(64)
        threading.Event().wait(0.3)
        conn.sendall(b"pong")


class Client:
    def __init__(self, address):
        self.sock = socket.create_connection(address)

    def fetch(self):
        self.sock.sendall(b"ping")
        return self.sock.recv(64)  # expect: blocking-in-event-loop


async def handle(client):
    return client.fetch()


async def main():
    server = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=backend, args=(server,)).start()
    client = Client(server.getsockname())
    print((await asyncio.gather(handle(client), asyncio.sleep(0.01, "other request")))[0])


asyncio.run(main())
