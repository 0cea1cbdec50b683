"""Race mode's benchmark program: 4 threads update attributes and dict entries of one
shared object under its lock, 1,000,000 accesses each (250,000 calls of add(), each
reading and updating self.count, self.total and self.by_key[key]). Correct: pyrace
reports nothing; the cost is all in recording the accesses."""
import sys
import threading

THREADS = 4
ACCESSES_PER_THREAD = 1_000_000
ACCESSES_PER_CALL = 4  # count +=, total +=, by_key read, by_key[key] +=


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0
        self.total = 0
        self.by_key = {"even": 0, "odd": 0}

    def add(self, key, value):
        with self.lock:
            self.count += 1
            self.total += value
            self.by_key[key] += value


def work(stats, calls):
    for i in range(calls):
        stats.add("even" if i % 2 == 0 else "odd", i)


def main():
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    calls = int(ACCESSES_PER_THREAD * scale) // ACCESSES_PER_CALL
    stats = Stats()
    threads = [threading.Thread(target=work, args=(stats, calls)) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert stats.count == THREADS * calls, stats.count
    print(stats.count, stats.total, stats.by_key)


if __name__ == "__main__":
    main()
