# concurrent.futures.ProcessPoolExecutor (spawn) running pool_worker.work.
import concurrent.futures
import multiprocessing

import pool_worker

if __name__ == "__main__":
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as ex:
        print(list(ex.map(pool_worker.work, [1])))
