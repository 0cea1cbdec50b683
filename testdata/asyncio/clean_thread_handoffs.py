# Results handed from threads to the loop through asyncio's own thread-safe APIs:
# call_soon_threadsafe, run_coroutine_threadsafe and its future, run_in_executor,
# to_thread and wrap_future. Each orders the thread's writes before the loop's reads.
# fixture: options --loop-block-ms 2000
import asyncio
import concurrent.futures
import threading


class Box:
    def __init__(self):
        self.value = None


async def via_call_soon_threadsafe(loop):
    box, fut = Box(), loop.create_future()

    def work():
        box.value = "posted"
        loop.call_soon_threadsafe(fut.set_result, None)

    threading.Thread(target=work).start()
    await fut
    return box.value


async def via_executor(loop):
    box = Box()

    def work():
        box.value = "executor"

    await loop.run_in_executor(None, work)
    return box.value


async def via_to_thread():
    box = Box()

    def work():
        box.value = "to_thread"

    await asyncio.to_thread(work)
    return box.value


async def via_wrap_future():
    box = Box()

    def work():
        box.value = "wrapped"

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        await asyncio.wrap_future(pool.submit(work))
    return box.value


async def set_from_loop(box):
    box.value = "from the loop"


def thread_side(loop, out):
    box = Box()
    asyncio.run_coroutine_threadsafe(set_from_loop(box), loop).result()
    out.append(box.value)


async def via_run_coroutine_threadsafe(loop):
    out = []
    t = threading.Thread(target=thread_side, args=(loop, out))
    t.start()
    await asyncio.to_thread(t.join)
    return out[0]


async def main():
    loop = asyncio.get_running_loop()
    print(await via_call_soon_threadsafe(loop), await via_executor(loop), await via_to_thread(),
          await via_wrap_future(), await via_run_coroutine_threadsafe(loop))


asyncio.run(main())
