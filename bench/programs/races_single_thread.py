"""Race mode's common case: a single-threaded program that does nothing but touch
attributes, dict entries, lists and truth tests (an interpreter loop over records:
1,000,000 records, about 12 instrumented accesses each). No thread is ever started, so
nothing can race; the cost is all in the hooks."""
import sys

RECORDS = 1_000_000


class Tally:
    def __init__(self):
        self.seen = 0
        self.total = 0
        self.by_kind = {}
        self.recent = []
        self.limit = 64

    def feed(self, kind, value):
        self.seen += 1
        if value:
            self.total += value
        counts = self.by_kind
        if kind in counts:
            counts[kind] += 1
        else:
            counts[kind] = 1
        recent = self.recent
        recent.append(value)
        if len(recent) > self.limit:
            recent.clear()


def main():
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    n = int(RECORDS * scale)
    kinds = ("a", "b", "c", "d")
    t = Tally()
    for i in range(n):
        t.feed(kinds[i & 3], i % 7)
    print(t.seen, t.total, sorted(t.by_kind.items()))


if __name__ == "__main__":
    main()
