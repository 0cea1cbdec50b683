# asyncio's common shape at scale: 10,000 tasks, each awaiting 100 times (1,000,000
# task steps through the event loop) and updating shared state between awaits.
import asyncio

TASKS = 10_000
AWAITS = 100


class Stats:
    def __init__(self):
        self.done = 0
        self.steps = 0


async def worker(stats, n):
    total = 0
    for k in range(AWAITS):
        total += k * n
        stats.steps += 1
        await asyncio.sleep(0)
    stats.done += 1
    return total


async def main():
    stats = Stats()
    results = await asyncio.gather(*(worker(stats, n) for n in range(TASKS)))
    print(stats.done, stats.steps, sum(results))


asyncio.run(main())
