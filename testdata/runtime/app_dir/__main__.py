# `pyrace run testdata/runtime/app_dir`: a directory with __main__.py runs as with
# `python DIR` (DIR first on sys.path), and its modules are the user's code.
import threading

import worker

t = threading.Thread(target=worker.parse_all, args=(["1", "x"],))
t.start()
t.join()
threads = [threading.Thread(target=worker.count, args=(1000,)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
