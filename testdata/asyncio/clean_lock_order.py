# One order everywhere, and a Condition over one of the locks: nothing to report.
# fixture: options --loop-block-ms 2000
import asyncio


async def transfer(first, second, name, cond):
    async with first:
        await asyncio.sleep(0)
        async with second:
            print(name, "moved")
    async with cond:
        cond.notify_all()


async def waiter(cond, done):
    async with cond:
        await cond.wait_for(lambda: done[0])


async def main():
    accounts, audit = asyncio.Lock(), asyncio.Lock()
    cond = asyncio.Condition(accounts)
    done = [False]
    w = asyncio.create_task(waiter(cond, done))
    await asyncio.gather(transfer(accounts, audit, "a", cond), transfer(accounts, audit, "b", cond))
    done[0] = True
    async with cond:
        cond.notify_all()
    await w


asyncio.run(main())
