"""Statement forms whose targets and scopes the rewriter touches: chained and unpacking
assignment to attributes and items, for/with targets, walrus, match, global/del,
decorators, class bodies, annotations, star-args, f-strings."""

import dataclasses
import functools
import sys

log = []
total = 0
table = {}


class Obj:
    pass


o = Obj()
o.d = {}
o.l = [0, 0, 0]
o.a = o.b = 1
o.d["x"] = o.d["y"] = 2
o.l[0], o.l[1] = o.l[1] + 5, o.a
o.p, *o.rest = [1, 2, 3]
(o.q, o.d["z"]), o.r = (1, 2), 3
for o.i in range(3):
    log.append(o.i)
for o.d["k"], o.l[2] in [(1, 2), (3, 4)]:
    pass


class CM:
    def __enter__(self):
        return (7, 8)

    def __exit__(self, *a):
        return False


with CM() as (o.w1, o.d["w2"]):
    pass
print(vars(o))


def uses_global():
    global total
    total += 1
    total = total * 2
    table["t"] = total
    del table["t"]
    return total


print(uses_global(), total, table)


def walrus(items):
    if (n := len(items)) > 1:
        o.n = n
    return [y for x in items if (y := x * 2) > 2], y, o.n


print(walrus([1, 2, 3]))


def matching(v):
    match v:
        case {"k": int(k), **rest}:
            return "dict", k, rest
        case [first, *others] if first > o.a:
            return "seq", first, others
        case Obj(d=d):
            return "obj", sorted(d)
        case _:
            return "other"


print(matching({"k": 1, "z": 2}), matching([5, 6]), matching(o), matching(0))


def deco(tag):
    def wrap(f):
        @functools.wraps(f)
        def inner(*args, **kwargs):
            log.append(tag)
            return f(*args, **kwargs)
        return inner
    return wrap


class Config:
    LIMIT = 3
    names = [n for n in ("a", "b")]
    doubled = {k: v * 2 for k, v in {"x": 1}.items()}
    lam = staticmethod(lambda x=LIMIT: x + 1)
    total: int = 0

    @deco("method")
    def method(self, *args, **kw):
        self.total += len(args) + len(kw)
        return self.total, f"{self.total!r:>4}|{self.LIMIT}"

    @property
    @deco("prop")
    def prop(self):
        return self.LIMIT


c = Config()
print(c.method(1, 2, k=3), c.prop, Config.lam(), Config.names, Config.doubled, Config.__annotations__)
print(Config.method.__wrapped__.__qualname__, Config.method.__qualname__, log)


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0
    tags: list = dataclasses.field(default_factory=list)

    def move(self, dx):
        self.x += dx
        self.tags.append(dx)
        return self


p = Point(1).move(2).move(3)
print(p, dataclasses.asdict(p), dataclasses.fields(p)[0].name)


def star_args(*a, **k):
    d = {**k, "extra": a}
    lst = [*a, *d]
    return d["extra"], lst, {**o.d}


print(star_args(1, 2, z=3))


def deleting():
    global table
    table = {"a": 1}
    del table
    try:
        return table
    except NameError as e:
        return str(e)


print(deleting())
assert o.a == 1, o.a
try:
    assert o.d["x"] == 3, o.d
except AssertionError as e:
    print("assert", e)
lam = lambda obj, key="x": obj.d[key] + o.a
print(lam(o), (lambda: [o.l[i] for i in range(2)])())


class Box:
    pass


def stores_over_lines(box, d, a):
    box.x = (
        a)
    d["k"] = (
        a)


def line_events(fn, *args):
    # A store evaluates its value first and stores at the target: a debugger stepping
    # through sees the value's line, then the target's.
    first = fn.__code__.co_firstlineno
    seen = []

    def trace(frame, event, arg):
        if frame.f_code is fn.__code__ and event == "line":
            seen.append(frame.f_lineno - first)
        return trace
    sys.settrace(trace)
    try:
        fn(*args)
    finally:
        sys.settrace(None)
    return seen


print("line events", line_events(stores_over_lines, Box(), {}, 1))
