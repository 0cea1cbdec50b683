# time.sleep in a coroutine: the classic one. Every other task waits 400 ms.
import asyncio
import time


async def refresh(name):
    await asyncio.sleep(0)
    time.sleep(0.4)  # expect: blocking-in-event-loop
    return name


async def main():
    print(await asyncio.gather(asyncio.create_task(refresh("a"), name="refresher"), asyncio.sleep(0.01, "b")))


asyncio.run(main())
