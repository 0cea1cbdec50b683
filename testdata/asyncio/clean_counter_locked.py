# The counter of lost_update_counter.py with one asyncio.Lock held across the read, the
# await and the write: the other task waits for the lock, so it reads the new value.
# fixture: options --loop-block-ms 2000
import asyncio


class Counter:
    def __init__(self):
        self.n = 0
        self.lock = asyncio.Lock()

    async def bump(self):
        async with self.lock:
            x = self.n
            await asyncio.sleep(0)
            self.n = x + 1


async def main():
    c = Counter()
    await asyncio.gather(c.bump(), c.bump())
    print(c.n)


asyncio.run(main())
