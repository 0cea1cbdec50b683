# Many short steps, some CPU work in each, none near the threshold; awaits of timers.
import asyncio


async def worker(n):
    total = 0
    for i in range(200):
        total += sum(range(50))
        await asyncio.sleep(0)
    await asyncio.sleep(0.05)
    return total + n


async def main():
    print(sum(await asyncio.gather(*(worker(i) for i in range(20)))))


asyncio.run(main())
