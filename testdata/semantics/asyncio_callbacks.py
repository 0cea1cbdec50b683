"""Callbacks handed to an event loop are called and nothing else: the loop's hooks
find the task a step belongs to without asking the callback object anything (its own
__getattr__ and __getattribute__ see no lookup)."""

import asyncio
import threading

seen = []


class Missing:
    """A callable whose unknown attributes are looked up in __getattr__."""

    def __getattr__(self, name):
        seen.append(("getattr", name))
        raise AttributeError(name)

    def __call__(self):
        seen.append(("called", "Missing"))


class Watched:
    """A callable that sees every attribute lookup made on it."""

    def __getattribute__(self, name):
        seen.append(("getattribute", name))
        return object.__getattribute__(self, name)

    def __call__(self):
        seen.append(("called", "Watched"))


async def main():
    loop = asyncio.get_running_loop()
    loop.call_soon(Missing())
    loop.call_soon(Watched())
    loop.call_later(0.001, Missing())
    done = asyncio.Event()
    # From another thread too: the program has two threads, so race mode records.
    threading.Thread(target=lambda: loop.call_soon_threadsafe(Watched())).start()
    loop.call_later(0.05, done.set)
    await done.wait()


asyncio.run(main())
for entry in sorted(seen):
    print(*entry)
