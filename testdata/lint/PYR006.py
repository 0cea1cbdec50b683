"""PYR006 unlocked-increment: `x += ...` on shared state, unlocked, in a thread target."""
import threading
from concurrent.futures import ThreadPoolExecutor

g_num = 0
lock = threading.Lock()


# --- violations -------------------------------------------------------------------------

def test1(num):  # the seed's unlocked counter
    global g_num
    for _ in range(num):
        g_num += 1  # expect: PYR006


class Stats:
    def __init__(self):
        self.count = 0

    def work(self):
        self.count += 1  # expect: PYR006

    def start(self):
        threading.Thread(target=self.work).start()


def make_counter():
    total = 0

    def bump():
        nonlocal total
        total += 1  # expect: PYR006

    with ThreadPoolExecutor() as ex:
        ex.submit(bump)
    return total


# --- lookalikes: correct code -----------------------------------------------------------

def test2(num):  # the seed's lock inside the loop
    global g_num
    for _ in range(num):
        lock.acquire()
        g_num += 1
        lock.release()


def test3(num):  # the seed's lock outside the loop
    global g_num
    lock.acquire()
    for _ in range(num):
        g_num += 1
    lock.release()


def with_lock(num):
    global g_num
    with lock:
        g_num += num


def not_a_thread(num):
    global g_num
    g_num += num


class Worker(threading.Thread):
    def __init__(self):
        super().__init__()
        self.done = 0

    def run(self):
        self.done += 1  # the thread's own attribute


def local_counter():
    n = 0
    n += 1
    return n


def main():
    threading.Thread(target=test1, args=(10,)).start()
    threading.Thread(target=test2, args=(10,)).start()
    threading.Thread(target=test3, args=(10,)).start()
    threading.Thread(target=with_lock, args=(10,)).start()
    threading.Thread(target=local_counter).start()
    Worker().start()
