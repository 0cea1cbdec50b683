# clean_own_lock_container.py's bug twin: the methods forget the lock. The race is
# reported inside them, where the mapping is touched, not at the call sites.
import sys
import threading

sys.setswitchinterval(1e-5)
start = threading.Barrier(2)


class Cache:
    def __init__(self):
        self._mapping = {}

    def __getitem__(self, key):
        return self._mapping[key]

    def __setitem__(self, key, value):
        self._mapping[key] = value  # expect: data-race


class Environment:
    def __init__(self):
        self.cache = Cache()


env = Environment()


def render(names):
    start.wait()
    for name in names:
        env.cache[name] = len(name)


threads = [threading.Thread(target=render, args=(["t%d" % (i % 80) for i in range(400)],)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(env.cache._mapping))
