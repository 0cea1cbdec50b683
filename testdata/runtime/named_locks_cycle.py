# A lock-order cycle of three locks the program keeps under three kinds of names: an
# instance attribute (PooledDatabase._pool_lock), a module global set in a function
# (named_locks_cycle.DOWNLOADER_LOCK, an RLock) and a class attribute (Account.lock).
# The threads run one after another, so the run cannot hang: pyrace must predict the
# deadlock and name each lock by where the program keeps it.
import threading

DOWNLOADER_LOCK = None


def init_downloader():
    global DOWNLOADER_LOCK
    DOWNLOADER_LOCK = threading.RLock()


class Account:
    lock = threading.Lock()


class PooledDatabase:
    def __init__(self):
        self._pool_lock = threading.Lock()


init_downloader()
db = PooledDatabase()


def connect_then_download():
    with db._pool_lock:
        with DOWNLOADER_LOCK:
            pass


def download_then_charge():
    with DOWNLOADER_LOCK:
        with Account.lock:
            pass


def charge_then_connect():
    with Account.lock:
        with db._pool_lock:  # expect: lock-order-inversion
            pass


for work in (connect_then_download, download_then_charge, charge_then_connect):
    t = threading.Thread(target=work)
    t.start()
    t.join()
