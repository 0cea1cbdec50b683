# The cache of cache_filled_twice.py checking the key again after the await: the store
# depends on that fresh check, made in the step that writes, so both callers get one
# value.
# fixture: options --loop-block-ms 2000
import asyncio

cache = {}


async def fetch(key):
    await asyncio.sleep(0)
    return object()


async def get(key):
    if key not in cache:
        value = await fetch(key)
        if key not in cache:
            cache[key] = value
    return cache[key]


async def main():
    a, b = await asyncio.gather(get("user:1"), get("user:1"))
    print(a is b)


asyncio.run(main())
