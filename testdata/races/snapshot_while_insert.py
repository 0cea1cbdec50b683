# Measuring or copying a dict while another thread inserts: len, list(), sorted() and
# copy() each read the dict's shape, which every insert of a new key writes. Nothing
# orders the readers with the writer, so each read is reported (at the read) in any
# interleaving of the threads, including one where they ran one after the other.
import threading

sessions = {}


def login(n):
    for i in range(n):
        sessions["user%d" % i] = i


def count(n):
    for i in range(n):
        a = len(sessions)  # expect: data-race


def listing(n):
    for i in range(n):
        try:
            b = list(sessions)  # expect: data-race
        except RuntimeError:  # changed size during iteration
            pass


def ordering(n):
    for i in range(n):
        try:
            c = sorted(sessions)  # expect: data-race
        except RuntimeError:
            pass


def copying(n):
    for i in range(n):
        d = sessions.copy()  # expect: data-race


threads = [threading.Thread(target=f, args=(300,)) for f in (login, count, listing, ordering, copying)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(sessions), "sessions")
