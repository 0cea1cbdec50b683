# A value published before Event.set() and read after Event.wait(): clean.
import sys
import threading

sys.setswitchinterval(1e-5)
config = {}
ready = threading.Event()


def loader():
    config["url"] = "http://example"
    config["retries"] = 3
    ready.set()


def user(out, i):
    ready.wait()
    out[i] = config["url"] + str(config["retries"])


out = [None] * 3
threads = [threading.Thread(target=user, args=(out, i)) for i in range(3)]
threads.append(threading.Thread(target=loader))
for t in threads:
    t.start()
for t in threads:
    t.join()
print(out)
