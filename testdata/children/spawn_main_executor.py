# concurrent.futures.ProcessPoolExecutor (spawn) whose worker function is defined in
# this main script: two threads of the worker race on an attribute of a shared object.
import concurrent.futures
import multiprocessing
import sys
import threading


class Tally:
    def __init__(self):
        self.count = 0


tally = Tally()


def bump(start):
    start.wait()
    for _ in range(2000):
        tally.count += 1  # expect: data-race


def work(n):
    sys.setswitchinterval(1e-5)
    start = threading.Barrier(2)
    threads = [threading.Thread(target=bump, args=(start,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return n


if __name__ == "__main__":
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as ex:
        print(list(ex.map(work, [1])))
