# Two tasks take two asyncio locks in opposite orders with an await in between: both
# hang for ever (the loop has nothing else to do).
# fixture: options --loop-block-ms 2000
import asyncio


async def transfer(first, second, name):
    async with first:
        await asyncio.sleep(0.05)
        async with second:  # expect: deadlock
            print(name, "moved")


async def main():
    accounts, audit = asyncio.Lock(), asyncio.Lock()
    await asyncio.gather(transfer(accounts, audit, "a"), transfer(audit, accounts, "b"))


asyncio.run(main())
