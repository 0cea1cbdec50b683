# `if pending: pending.pop()` where pending is a local alias of a list two threads share:
# both may see the last item and both pop it (one gets IndexError). The local's truth
# test reads the list's shape as `if shared:` would: a check-then-act at the pop.
import threading

shared = list(range(2000))
misses = []


def drain(items):
    pending = items
    n = 0
    while True:
        if pending:
            try:
                pending.pop()  # expect: data-race
            except IndexError:
                misses.append(1)
            n += 1
        else:
            return n


threads = [threading.Thread(target=drain, args=(shared,)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(shared), "left")
