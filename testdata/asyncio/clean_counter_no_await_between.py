# The counter of lost_update_counter.py with the read after the await: no await between
# the read and the write, so no other task can run between them.
# fixture: options --loop-block-ms 2000
import asyncio


class Counter:
    def __init__(self):
        self.n = 0

    async def bump(self):
        await asyncio.sleep(0)
        x = self.n
        self.n = x + 1


async def main():
    c = Counter()
    await asyncio.gather(c.bump(), c.bump())
    print(c.n)


asyncio.run(main())
