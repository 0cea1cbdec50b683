# `pyrace run -m pytest tests/` from testdata/races/pytest_project: pytest imports test
# modules through its own assertion-rewriting hook, and they must be instrumented too
# (tests/e2e/races_test.cpp). The assert still gets pytest's rewriting.
import threading


class Counter:
    def __init__(self):
        self.n = 0

    def inc(self):
        self.n += 1  # expect: data-race


def test_counter_from_two_threads():
    c = Counter()
    threads = [threading.Thread(target=lambda: [c.inc() for _ in range(500)]) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.n <= 1000
