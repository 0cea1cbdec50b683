# The same handler with the synchronous client moved off the loop (asyncio.to_thread):
# the loop keeps serving while the backend thinks.
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
        return self.sock.recv(64)


async def handle(client):
    return await asyncio.to_thread(client.fetch)


async def main():
    server = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=backend, args=(server,)).start()
    client = Client(server.getsockname())
    print((await asyncio.gather(handle(client), asyncio.sleep(0.01, "other request")))[0])


asyncio.run(main())
