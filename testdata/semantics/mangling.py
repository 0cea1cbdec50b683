"""Private names are mangled in every context the compiler mangles them."""


class Table:
    __count = 0

    def __init__(self):
        self.__table = {"x": 1}
        self.__items = [1, 2, 3]
        self.__n = 0
        self._Table__extra = "set mangled by hand"

    def read(self):
        return self.__table["x"], self.__items[1:], self.__n, self.__extra

    def write(self):
        self.__table["y"] = 2
        self.__table["x"] += 10
        self.__n += 1
        self.__items[0] += 5
        self.__items.append(4)
        self.__table.setdefault("z", []).append(1)
        del self.__table["y"]
        self.__tmp = 1
        del self.__tmp
        return sorted(self.__table), self.__items, self.__n

    @classmethod
    def bump(cls):
        cls.__count += 1
        return cls.__count

    def nested(self):
        def inner():
            return self.__n + len(self.__items)
        f = lambda: self.__table["x"]
        comp = [self.__items[i] for i in range(2)]
        gen = list(x for x in self.__items if x > self.__n)
        dcomp = {k: self.__table[k] for k in sorted(self.__table)}
        return inner(), f(), comp, gen, dcomp

    def dunders_are_not_mangled(self):
        return self.__class__.__name__, self.__dict__.get("_Table__n")

    def missing(self):
        try:
            return self.__nope
        except AttributeError as e:
            return str(e)

    class Inner:
        def __init__(self):
            self.__secret = 5

        def get(self, other):
            return self.__secret, other._Table__n

    def has(self, key):
        return key in self.__table, key not in self.__table


class _Under:
    def __init__(self):
        self.__v = "under"

    def get(self):
        return self.__v, sorted(k for k in vars(self))


class ___:
    def __init__(self):
        self.__v = "all underscores: never mangled"

    def get(self):
        return self.__v, sorted(vars(self))


t = Table()
print(t.read())
print(t.write())
print(t.read())
print(Table.bump(), Table.bump(), Table._Table__count)
print(t.nested())
print(t.dunders_are_not_mangled())
print(t.missing())
print(Table.Inner().get(t), sorted(vars(Table.Inner())))
print(t.has("x"), t.has("q"))
print(_Under().get())
print(___().get())
print(sorted(k for k in vars(t)))
