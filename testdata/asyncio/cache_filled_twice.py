# A cache filled by two tasks: both miss the key, both fetch, and the second store
# replaces the value the first one stored and handed out (prints False).
# fixture: options --loop-block-ms 2000
import asyncio

cache = {}


async def fetch(key):
    await asyncio.sleep(0)
    return object()


async def get(key):
    if key not in cache:
        value = await fetch(key)
        cache[key] = value  # expect: data-race
    return cache[key]


async def main():
    a, b = await asyncio.gather(get("user:1"), get("user:1"))
    print(a is b)


asyncio.run(main())
