# clean_append_append.py's bug twin: one thread counts the results while another still
# appends. len() reads the list's shape, which every append writes. Nothing orders the
# two threads, so the count is reported (at the len) in any interleaving.
import threading

results = []


def work():
    for k in range(2000):
        results.append(k)


def progress():
    for k in range(2000):
        n = len(results)  # expect: data-race


threads = [threading.Thread(target=work), threading.Thread(target=progress)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(results))
