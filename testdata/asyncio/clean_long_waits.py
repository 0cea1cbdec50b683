# Tasks that wait a long time but are not deadlocked: on a timer, a socket, a
# subprocess, a thread that posts back with call_soon_threadsafe, run_in_executor and
# to_thread. Run with a short --deadlock-grace-ms: every wait outlasts it.
# fixture: options --deadlock-grace-ms 200 --watchdog-interval-ms 50 --loop-block-ms 2000
import asyncio
import socket
import sys
import threading
import time

WAIT = 0.6


async def on_timer():
    await asyncio.sleep(WAIT)
    return "timer"


async def on_socket():
    a, b = socket.socketpair()
    threading.Timer(WAIT, b.send, args=(b"x",)).start()
    reader, writer = await asyncio.open_connection(sock=a)
    data = await reader.read(1)
    writer.close()
    b.close()
    return data.decode()


async def on_subprocess():
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", f"import time; time.sleep({WAIT})")
    return await proc.wait()


async def on_thread():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()

    def later():
        time.sleep(WAIT)
        loop.call_soon_threadsafe(fut.set_result, "thread")

    threading.Thread(target=later).start()
    return await fut


async def on_executor():
    return await asyncio.get_running_loop().run_in_executor(None, time.sleep, WAIT)


async def on_to_thread():
    return await asyncio.to_thread(time.sleep, WAIT)


async def main():
    # One at a time: each wait is the only thing left in the loop while it lasts.
    for wait in (on_timer, on_socket, on_subprocess, on_thread, on_executor, on_to_thread):
        print(wait.__name__, await wait())


asyncio.run(main())
