# A thread posts its result to the loop, then keeps writing the object it handed over:
# the task's read after the hand-off is not ordered with the later write.
# fixture: options --loop-block-ms 2000
import asyncio
import threading
import time


class Box:
    def __init__(self):
        self.value = None


async def main():
    loop = asyncio.get_running_loop()
    box, fut = Box(), loop.create_future()

    def work():
        box.value = "first"
        loop.call_soon_threadsafe(fut.set_result, None)
        box.value = "second"

    t = threading.Thread(target=work)
    t.start()
    await fut
    time.sleep(0.05)  # the writer's last write lands now; this blocks too little to report
    print(box.value)  # expect: data-race
    t.join()


asyncio.run(main())
