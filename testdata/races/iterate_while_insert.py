# Iterating a dict while another thread inserts keys: "dictionary changed size during
# iteration" waiting to happen. The loop reads the dict's shape, the insert writes it.
# Nothing orders the two threads (happens-before decides a race, not how this run
# happened to interleave them), so it is one report, at the loop, whether the loop ran
# before the inserts, between them or after them.
import threading

handlers = {"a": 1}


def register(n):
    for i in range(n):
        handlers["h%d" % i] = i


def dispatch(n):
    seen = 0
    for i in range(n):
        try:
            for name in handlers:  # expect: data-race
                seen += 1
        except RuntimeError:  # the interleaving that shows the bug
            pass
    return seen


threads = [threading.Thread(target=register, args=(300,)), threading.Thread(target=dispatch, args=(300,))]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(handlers), "handlers")
