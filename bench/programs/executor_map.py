# A ThreadPoolExecutor mapping 20,000 small tasks: futures, conditions, the work
# queue and worker threads. Overhead target under `pyrace run`: <= 1.2x.
from concurrent.futures import ThreadPoolExecutor


def task(n):
    return sum(range(n % 50))


def main():
    with ThreadPoolExecutor(max_workers=4) as pool:
        total = sum(pool.map(task, range(20000)))
    print("total:", total)


if __name__ == "__main__":
    main()
