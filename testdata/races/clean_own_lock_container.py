# A cache class whose __getitem__, __setitem__ and __contains__ take the cache's own
# lock (jinja2's LRUCache has this shape). `cache[key]` at the call site is a call into
# that code, not an access of a location; what the methods do is under the lock: clean.
import sys
import threading
from collections import OrderedDict

sys.setswitchinterval(1e-5)
start = threading.Barrier(2)


class LRUCache:
    def __init__(self, capacity):
        self.capacity = capacity
        self._mapping = OrderedDict()
        self._lock = threading.Lock()

    def __getitem__(self, key):
        with self._lock:
            value = self._mapping[key]
            self._mapping.move_to_end(key)
            return value

    def __setitem__(self, key, value):
        with self._lock:
            self._mapping[key] = value
            if len(self._mapping) > self.capacity:
                self._mapping.popitem(last=False)

    def __contains__(self, key):
        with self._lock:
            return key in self._mapping

    @property
    def size(self):
        with self._lock:
            return len(self._mapping)


class Environment:
    def __init__(self):
        self.cache = LRUCache(50)


env = Environment()


def render(names):
    start.wait()
    for name in names:
        if name in env.cache:
            env.cache[name]
        else:
            env.cache[name] = name.upper()
        env.cache.size


threads = [threading.Thread(target=render, args=(["t%d" % (i % 80) for i in range(400)],)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(env.cache.size)
