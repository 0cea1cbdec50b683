# A pool whose worker function is defined in this main script, which a spawn or
# forkserver worker re-runs as __mp_main__: two threads of the worker race on a global.
# Start method: argv[1] (spawn by default).
import multiprocessing
import sys
import threading

total = 0


def bump(start):
    global total
    start.wait()
    for _ in range(2000):
        total += 1  # expect: data-race


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
    ctx = multiprocessing.get_context(sys.argv[1] if len(sys.argv) > 1 else "spawn")
    with ctx.Pool(1) as pool:
        print(pool.map(work, [1, 2]))
