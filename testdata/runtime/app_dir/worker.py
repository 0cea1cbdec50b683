import threading

lock = threading.Lock()
total = 0


def parse(text):
    lock.acquire()  # expect: missed-release
    value = int(text)
    lock.release()
    return value


def parse_all(texts):
    for text in texts:
        try:
            parse(text)
        except ValueError:
            pass


def count(n):
    global total
    for _ in range(n):
        total += 1  # expect: data-race
