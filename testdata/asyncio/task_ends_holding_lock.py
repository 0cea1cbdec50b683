# A task that returns early on an error path without releasing the asyncio lock: every
# later user of the lock would wait for ever.
# fixture: options --loop-block-ms 2000
import asyncio


async def update(lock, item):
    await lock.acquire()  # expect: missed-release
    if item is None:
        return "skipped"
    lock.release()
    return item


async def main():
    lock = asyncio.Lock()
    print(await update(lock, 1), await update(lock, None))


asyncio.run(main())
