# A connection pool whose size check and append are split by the await of connect():
# three tasks all pass the check of a pool of at most two, and it grows to three.
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
            self.conns.append(conn)  # expect: data-race


async def main():
    pool = Pool(2)
    await asyncio.gather(pool.grow(), pool.grow(), pool.grow())
    print(len(pool.conns))


asyncio.run(main())
