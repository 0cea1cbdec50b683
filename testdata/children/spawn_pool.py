# A multiprocessing pool with the spawn method; each worker races (pool_worker.py).
import multiprocessing

import pool_worker

if __name__ == "__main__":
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        print(pool.map(pool_worker.work, [1, 2]))
