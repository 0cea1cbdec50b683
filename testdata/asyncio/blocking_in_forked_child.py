# A forked worker runs an event loop of its own (tornado's fork_processes, then
# asyncio.run). The child has no loop watcher to sample a step while it blocks, so each
# blocking step is reported when it ends: a plain callback, and a task whose coroutine
# returned in that step, at the start of their code (nothing of them is left to stand
# anywhere else).
import asyncio
import os
import time


def flush_cache():  # expect: blocking-in-event-loop
    time.sleep(0.3)


async def serve_once():  # expect: blocking-in-event-loop
    asyncio.get_running_loop().call_soon(flush_cache)
    await asyncio.sleep(0.05)
    time.sleep(0.3)


pid = os.fork()
if pid == 0:
    asyncio.run(serve_once())
    os._exit(0)
os.waitpid(pid, 0)
