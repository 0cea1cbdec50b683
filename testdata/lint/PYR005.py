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
