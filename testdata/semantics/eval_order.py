"""Every __getattr__, __getitem__, descriptor and property runs exactly as often, and in
the same order, as without the rewriter: each one prints when it runs."""


def log(*what):
    print(" ".join(str(w) for w in what))


class Desc:
    def __set_name__(self, owner, name):
        self.name = "_" + name

    def __get__(self, obj, objtype=None):
        log("desc get", self.name)
        return obj.__dict__.get(self.name, 0) if obj is not None else self

    def __set__(self, obj, value):
        log("desc set", self.name, value)
        obj.__dict__[self.name] = value

    def __delete__(self, obj):
        log("desc del", self.name)
        obj.__dict__.pop(self.name, None)


class Box:
    d = Desc()

    def __init__(self):
        object.__setattr__(self, "_store", {"k": 1})
        object.__setattr__(self, "_p", 10)

    @property
    def p(self):
        log("prop get p")
        return self._p

    @p.setter
    def p(self, v):
        log("prop set p", v)
        object.__setattr__(self, "_p", v)

    def __getattr__(self, name):
        log("__getattr__", name)
        if name.startswith("miss"):
            raise AttributeError(name)
        return Mapping()

    def __setattr__(self, name, value):
        log("__setattr__", name, value)
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        log("__delattr__", name)
        object.__delattr__(self, name)


class Mapping:
    def __init__(self):
        self.data = {}

    def __getitem__(self, key):
        log("getitem", key)
        return self.data.get(key, 0)

    def __setitem__(self, key, value):
        log("setitem", key, value)
        self.data[key] = value

    def __delitem__(self, key):
        log("delitem", key)
        self.data.pop(key, None)

    def __contains__(self, key):
        log("contains", key)
        return key in self.data

    def __iter__(self):
        log("iter")
        return iter(sorted(self.data))

    def __len__(self):
        log("len")
        return len(self.data)

    def get(self, key, default=None):
        log("get", key)
        return self.data.get(key, default)

    def append(self, x):
        log("append", x)


class Key:
    def __init__(self, k):
        self.k = k

    def __hash__(self):
        log("hash", self.k)
        return hash(self.k)

    def __eq__(self, other):
        log("eq", self.k)
        return isinstance(other, Key) and other.k == self.k

    def __repr__(self):
        return "Key(%s)" % self.k


def value(tag, v):
    log("value", tag)
    return v


def obj(tag, o):
    log("obj", tag)
    return o


b = Box()
m = Mapping()
log("-- attribute reads")
x = b.p
y = b.anything
z = b.d
log("-- attribute writes")
b.p = value("p", 5)
b.d = value("d", 7)
b.plain = value("plain", 1)
obj("b", b).p = value("p2", 6)
log("-- augmented attribute")
b.p += value("aug", 1)
b.d += 2
obj("b", b).p += value("aug2", 3)
obj("b", b).d -= value("aug3", 1)
log("-- items")
m["a"] = value("a", 1)
obj("m", m)["b"] = value("b", 2)
t = m["a"] + obj("m", m)["b"]
m["a"] += value("ia", 5)
obj("m", m)[value("key", "a")] += value("ib", 1)
b.anything["q"] += 1
del m["a"]
del obj("m", m)[value("key", "b")]
log("-- contains, iteration, len")
log("in", "a" in m, obj("m", m) is m, value("k", "z") not in obj("m", m))
for k in obj("m", m):
    pass
log(len(m), list(m), sorted(m))
log("-- method calls")
log(m.get("a"), obj("m", m).get(value("g", "b"), value("default", 3)))
obj("m", m).append(value("arg", 1))
m.append(m.get("a"))
d = {}
kk = Key(1)
d[kk] = 1
d[kk] += 1
log(d.get(kk), kk in d, d.pop(kk), d.setdefault(kk, 5))
obj("d", d).get(value("k", kk))
log("-- deletes")
del b.d
del b.plain
del obj("b", b).d
log("-- missing")
try:
    b.missing_one
except AttributeError as e:
    log("AttributeError", e)
try:
    b.missing_two += value("never", 1)
except AttributeError as e:
    log("AttributeError", e)
try:
    obj("b", b).missing_three.get(value("arg", 1))
except AttributeError as e:
    log("AttributeError", e)
try:
    {}.nope(value("arg", 1))
except AttributeError as e:
    log("AttributeError", e)
try:
    {}.get(value("arg", 1), 2, 3)
except TypeError as e:
    log("TypeError", e)
try:
    [][value("index", 0)] += value("never", 1)
except IndexError as e:
    log("IndexError", e)
log("-- augmented items of attributes, in a function")


def augmented_items_of_attributes(box, key):
    box.anything[key] += 1
    box.anything["q"] += value("v", 2)
    box.p_map[key] += value("w", 3)
    try:
        box.missing_four[key] += value("never", 1)
    except AttributeError as e:
        log("AttributeError", e)


augmented_items_of_attributes(b, "k")
log("-- chained")
b.anything.data["x"] = 1
log(b.anything.data.get("x"), b.anything.get("y"))
r = [obj("m", m)[i] for i in range(2)]
s = {obj("m", m)[value("i", i)] for i in range(2)}
g = list(obj("m", m)[i] for i in range(2))
log(r, s, g)
