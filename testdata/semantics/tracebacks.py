"""Exceptions from rewritten accesses: the same types, messages, tracebacks, lines and
columns (the carets of 3.11+), printed with traceback.format_exc()."""

import sys
import traceback


class Slotted:
    __slots__ = ("a",)


class Prop:
    @property
    def bad(self):
        return 1 / 0

    @bad.setter
    def bad(self, v):
        raise ValueError("setter says no: %r" % (v,))

    @property
    def ro(self):
        return 1


class Holder:
    def __init__(self):
        self.items = {"a": 1}
        self.lst = [1, 2]
        self.inner = Slotted()
        self.prop = Prop()


h = Holder()
d = {"a": {"b": 1}}
cases = [
    ("missing attribute", lambda: h.nothing),
    ("missing attribute chain", lambda: h.inner.nothing.more),
    ("missing key", lambda: h.items["zz"]),
    ("missing nested key", lambda: d["a"]["c"]),
    ("index", lambda: h.lst[5]),
    ("property raising", lambda: h.prop.bad),
    ("call of missing method", lambda: h.items.nope(1)),
    ("keyed method raising", lambda: h.items.pop("zz")),
    ("bad method arity", lambda: h.lst.append(1, 2)),
    ("contains unhashable", lambda: [] in h.items),
    ("iterate None", lambda: [x for x in h.items["a"]]),
    ("len of int", lambda: len(h.items["a"])),
]


def store_slot():
    h.inner.b = 1


def store_property():
    h.prop.bad = 5


def store_readonly():
    h.prop.ro = 5


def update_missing_key():
    h.items["zz"] += 1


def update_missing_attr():
    h.inner.a += 1


def update_wrong_type():
    h.items["a"] += "x"


def update_missing_key_of_local(holder):
    holder.items["zz"] += 1


def update_missing_attr_item_of_local(holder, key):
    holder.nothing_here[key] += 1


def update_simple_missing():
    items = {}
    items["k"] += 1


def delete_missing():
    del h.items["zz"]


def delete_missing_attr():
    del h.inner.a


def multi_line():
    return (h
            .items
            .nothing)


def multi_line_store():
    h.inner.a = 1
    (h.inner
     .zz) = 2


def multi_line_update():
    (h.inner
     .zz) += 2


def global_name():
    return undefined_name + 1


def unbound_local():
    if False:
        v = 1
    return v


def nested():
    def inner():
        return h.items["a"]["b"]
    return inner()


def binop():
    return h.items["a"] + h.lst


for name, f in cases:
    try:
        f()
    except Exception:
        print("==", name)
        print(traceback.format_exc())
for f in (store_slot, store_property, store_readonly, update_missing_key, update_missing_attr,
          update_wrong_type, lambda: update_missing_key_of_local(h),
          lambda: update_missing_attr_item_of_local(h, "k"), update_simple_missing, delete_missing, delete_missing_attr,
          multi_line, multi_line_store, multi_line_update, global_name, unbound_local, nested, binop):
    try:
        f()
    except Exception as e:
        print("==", f.__name__, type(e).__name__, getattr(e, "name", None))
        print(traceback.format_exc())
        tb = e.__traceback__
        while tb.tb_next:
            tb = tb.tb_next
        print("line", tb.tb_lineno, "lasti-line", tb.tb_frame.f_lineno)
if sys.version_info >= (3, 11):
    try:
        h.items["zz"]
    except KeyError as e:
        tb = e.__traceback__
        print(list(tb.tb_frame.f_code.co_positions())[tb.tb_lasti // 2])


def statements_of_one_access(o):
    o.inner
    (o.
inner)
    o.items["k"]


if sys.version_info >= (3, 11):
    # Every instruction has a position (the statement's POP_TOP after a fast-path choice too).
    print("positions complete", all(None not in p for p in statements_of_one_access.__code__.co_positions()))
h.inner.nothing_at_all
