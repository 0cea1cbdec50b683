# A task forks a worker and then sleeps on the loop's thread. The runtime stops its
# threads for the fork, the loop watcher among them, and must start it again: the
# blocking step after the fork is reported like any other.
import asyncio
import os
import time


async def spawn_then_wait():
    await asyncio.sleep(0)
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    await asyncio.sleep(0.05)
    time.sleep(0.4)  # expect: blocking-in-event-loop
    return "done"


async def main():
    print(await asyncio.gather(asyncio.create_task(spawn_then_wait(), name="spawner"), asyncio.sleep(0.01, "b")))


asyncio.run(main())
