"""PYR000 syntax-error: a file that does not parse is reported at the error; the rest of
the project is still linted."""
import threading

lock = threading.Lock()


def broken(:  # expect: PYR000
    with lock:
        return 1
