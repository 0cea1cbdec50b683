# Two tasks each wait for the other's result before producing their own: each awaits a
# future that only the other would complete.
# fixture: options --loop-block-ms 2000
import asyncio


async def producer(mine, theirs):
    other = await theirs  # expect: deadlock
    mine.set_result(other + 1)


async def main():
    loop = asyncio.get_running_loop()
    a, b = loop.create_future(), loop.create_future()
    await asyncio.gather(producer(a, b), producer(b, a))


asyncio.run(main())
