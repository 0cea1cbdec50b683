"""PYR005 inconsistent-locking: state written under a lock, accessed without it in a thread."""
import threading

_registry = {}
_registry_lock = threading.Lock()
_config = None
_config_lock = threading.Lock()


# --- violations -------------------------------------------------------------------------

class Counter:
    def __init__(self):
        self._lock = threading.Lock()
        self.value = 0
        self.items = []

    def increment(self):
        with self._lock:
            self.value += 1
            self.items.append(self.value)

    def worker(self):
        for _ in range(1000):
            self.increment()
        print(self.value)  # expect: PYR005
        self.items.clear()  # expect: PYR005

    def start(self):
        threading.Thread(target=self.worker).start()


def register(name, value):
    with _registry_lock:
        _registry[name] = value


def lookup_worker(name):
    return _registry.get(name)  # expect: PYR005


# --- lookalikes: correct code -----------------------------------------------------------

class SafeCounter:
    def __init__(self):
        self._lock = threading.Lock()
        self.value = 0  # construction: not shared yet

    def increment(self):
        with self._lock:
            self.value += 1

    def worker(self):
        self.increment()
        with self._lock:
            print(self.value)

    def start(self):
        threading.Thread(target=self.worker).start()

    def snapshot(self):
        # Not run in a thread (main thread after join).
        return self.value


def get_config():
    # Lazy initialisation: the unlocked read is the fast path of double-checked locking.
    global _config
    if _config is None:
        with _config_lock:
            if _config is None:
                _config = {"debug": False}
    return _config


def config_worker():
    return _config


def report():
    # Not reachable from a thread.
    return len(_registry)


def main():
    threading.Thread(target=lookup_worker, args=("x",)).start()
    threading.Thread(target=config_worker).start()


# --- a thread target given as a bound method of a module-level object -------------------

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.hits = 0

    def hit(self):
        self.hits = self.hits + 1  # expect: PYR005

    def reset(self):
        with self.lock:
            self.hits = 0


stats = Stats()
threading.Thread(target=stats.hit).start()


# --- state reached through an attribute chain -------------------------------------------

class NewsWrapper:
    def __init__(self):
        self.lock = threading.Lock()
        self.items = []

    def add(self, item):
        with self.lock:
            self.items.append(item)


class Reader(threading.Thread):
    def __init__(self):
        super().__init__()
        self.nw = NewsWrapper()

    def run(self):
        print(len(self.nw.items))  # expect: PYR005
        with self.nw.lock:
            print(self.nw.items[-1])


# --- lookalikes: the same shapes, correctly locked or not shared -------------------------

class SafeStats:
    def __init__(self):
        self.lock = threading.Lock()
        self.hits = 0

    def hit(self):
        with self.lock:
            self.hits = self.hits + 1

    def reset(self):
        with self.lock:
            self.hits = 0


safe_stats = SafeStats()
threading.Thread(target=safe_stats.hit).start()


class LockedReader(threading.Thread):
    def __init__(self):
        super().__init__()
        self.nw = NewsWrapper()
        self.unknown = make_thing()

    def run(self):
        with self.nw.lock:
            print(len(self.nw.items))
        # Of unknown class: no project-wide name, so no claim about it.
        print(self.unknown.items)


def make_thing():
    return NewsWrapper()
