# The same opposite orders in two tasks, but this run happens to run them one after
# the other, so it finishes: the inversion is still a deadlock waiting to happen.
# fixture: options --loop-block-ms 2000
import asyncio


async def transfer(first, second, name):
    async with first:
        await asyncio.sleep(0)
        async with second:  # expect: lock-order-inversion
            print(name, "moved")


async def main():
    accounts, audit = asyncio.Lock(), asyncio.Lock()
    await asyncio.create_task(transfer(accounts, audit, "a"))
    await asyncio.create_task(transfer(audit, accounts, "b"))


asyncio.run(main())
