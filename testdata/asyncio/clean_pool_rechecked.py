# The pool of pool_check_then_append.py checking its size again after the await: the
# append depends on that fresh check, made in the same step.
# fixture: options --loop-block-ms 2000
import asyncio


class Pool:
    def __init__(self, max_size):
        self.max_size = max_size
        self.conns = []

    async def connect(self):
        await asyncio.sleep(0)
        return object()

    async def grow(self):
        if len(self.conns) < self.max_size:
            conn = await self.connect()
            if len(self.conns) < self.max_size:
                self.conns.append(conn)


async def main():
    pool = Pool(2)
    await asyncio.gather(pool.grow(), pool.grow(), pool.grow())
    print(len(pool.conns))


asyncio.run(main())
