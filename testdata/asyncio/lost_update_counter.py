# Two tasks bump one counter: each reads it, awaits, and stores what it read plus one.
# The other task's increment made during the await is lost (prints 1, not 2).
# fixture: options --loop-block-ms 2000
import asyncio


class Counter:
    def __init__(self):
        self.n = 0

    async def bump(self):
        x = self.n
        await asyncio.sleep(0)
        self.n = x + 1  # expect: data-race


async def main():
    c = Counter()
    await asyncio.gather(c.bump(), c.bump())
    print(c.n)


asyncio.run(main())
