# Counts kept in a dict reached through an attribute, updated without a lock:
# `self.by_key[key] += 1` is a read-modify-write of one dict entry (a lost update),
# and the lookalike under the object's lock stays silent.
import threading


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_key = {"even": 0, "odd": 0}
        self.locked_by_key = {"even": 0, "odd": 0}

    def add(self, key):
        self.by_key[key] += 1  # expect: data-race
        with self.lock:
            self.locked_by_key[key] += 1


def work(stats):
    for i in range(2000):
        stats.add("even" if i % 2 == 0 else "odd")


stats = Stats()
threads = [threading.Thread(target=work, args=(stats,)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
