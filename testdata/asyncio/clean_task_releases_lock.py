# The fixed twin: the lock is released on every path.
# fixture: options --loop-block-ms 2000
import asyncio


async def update(lock, item):
    async with lock:
        if item is None:
            return "skipped"
        return item


async def main():
    lock = asyncio.Lock()
    print(await update(lock, 1), await update(lock, None), await update(lock, 2))


asyncio.run(main())
