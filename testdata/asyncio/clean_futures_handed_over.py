# The fixed twin: one side produces first, so every future is completed.
# fixture: options --loop-block-ms 2000
import asyncio


async def first(mine, theirs):
    mine.set_result(1)
    return await theirs


async def second(mine, theirs):
    other = await theirs
    mine.set_result(other + 1)
    return other


async def main():
    loop = asyncio.get_running_loop()
    a, b = loop.create_future(), loop.create_future()
    print(await asyncio.gather(first(a, b), second(b, a)))


asyncio.run(main())
