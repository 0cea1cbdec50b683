"""Pure-Python hooks with the exact contract of the runtime's (access_hooks.cpp).

The runtime's C++ hooks are what instrumented programs use. These do the same
operations and log the accesses into a list instead of the trace, so the rewriter's
tests can check semantics and the recorded sites on any interpreter without the
extension. `access_hooks(...)` returns the hooks in rewriter.HOOKS order.
"""

import operator

from . import rewriter as rw

_KEYED_DICT_METHODS = frozenset(("get", "pop", "setdefault", "__contains__", "__getitem__"))
_CONTAINERS = (dict, list, set, bytearray)
_NO_KEY = object()


class Log:
    def __init__(self):
        self.records = []  # (kind, line, name, text, detail)


class SiteProbe:
    """A hook bound to its sites (rewriter._site_probe): `obj in probe` is ra's record
    and False (`(obj, key) in probe` ri's), `probe[obj]` ga's value or aa's update
    target, `probe[obj, key]` gi's value and `probe[obj, key(, owner)]` ai's target."""

    def __init__(self, short, hook, sites):
        self.short = short
        self.hook = hook
        self.sites = sites

    def __contains__(self, operand):
        self.hook(*(operand if self.short == "ri" else (operand,)), *self.sites)
        return False

    def __getitem__(self, operand):
        if self.short in ("ga", "aa"):
            return self.hook(operand, *self.sites)
        if self.short in ("sa", "si"):
            return self.hook(*operand, *self.sites)
        obj, key, *owner = operand
        return self.hook(obj, key, self.sites[0], *owner, *self.sites[1:])


def access_hooks(names, module, filename, sites, log=None):
    log = log if log is not None else Log()

    def rec(k, detail=None):
        kind, line, name, text = sites[k]
        log.records.append((kind, line, name, text, detail))

    def gr(value, k):
        rec(k)
        return value

    def gw(k):
        rec(k)

    def ga(obj, k):
        value = getattr(obj, sites[k][2])
        rec(k)
        return value

    def sa(value, obj, k):
        setattr(obj, sites[k][2], value)
        rec(k)

    def da(obj, k):
        delattr(obj, sites[k][2])
        rec(k)

    def ra(obj, k):
        rec(k)

    def gi(obj, key, k):
        value = obj[key]
        rec(k, key)
        return value

    def si(value, obj, key, k):
        obj[key] = value
        rec(k, key)

    def di(obj, key, k):
        del obj[key]
        rec(k, key)

    def ri(obj, key, k):
        rec(k, key)

    def c(obj, k):
        if isinstance(obj, _CONTAINERS):
            rec(k)
        return obj

    def mc(method, k, *args):
        name = sites[k][2]
        obj = getattr(method, "__self__", None)
        if isinstance(obj, _CONTAINERS):
            rec(k, args[0] if isinstance(obj, dict) and name in _KEYED_DICT_METHODS and args else None)
        return method(*args)

    def in_(item, container, k):
        result = operator.contains(container, item)
        rec(k, item if isinstance(container, dict) else None)
        return (not result) if sites[k][0] == rw.NOT_CONTAINS else result

    def nr(value, k):
        rec(k)
        return value

    def nw(k):
        rec(k)

    class AugTarget:
        """aa/ai: item 0 stands for obj.<name> (aa) or obj[key] (ai)."""

        def __init__(self, obj, key, k):
            self.obj, self.key, self.k = obj, key, k

        def __getitem__(self, _):
            if self.key is _NO_KEY:
                return getattr(self.obj, sites[self.k][2])
            return self.obj[self.key]

        def __setitem__(self, _, value):
            if self.key is _NO_KEY:
                setattr(self.obj, sites[self.k][2], value)
                rec(self.k)
            else:
                self.obj[self.key] = value
                rec(self.k, self.key)

    def aa(obj, k):
        return AugTarget(obj, _NO_KEY, k)

    def ai(obj, key, k, owner=None, attr_k=None):
        if attr_k is not None:
            # `ai[owner.attr, key, owner][key] += v`: the read of owner.attr that gave
            # obj and the update of its entry, recorded as the statement starts; the
            # statement updates obj itself.
            rec(attr_k)
            rec(k, key)
            return obj
        return AugTarget(obj, key, k)

    class AlwaysRecording:
        """The single-thread probe (`st in st`): these hooks log every access."""

        def __contains__(self, _):
            return False

    class EveryReceiver:
        """The container probe (`obj in cp`): these hooks log every receiver."""

        def __contains__(self, _):
            return True

    table = {"st": AlwaysRecording(), "cp": EveryReceiver(), "gr": gr, "gw": gw, "ga": ga, "sa": sa, "da": da, "ra": ra, "gi": gi, "si": si, "di": di,
             "ri": ri, "c": c, "mc": mc, "in": in_, "nr": nr, "nw": nw, "aa": aa, "ai": ai}
    return tuple(table[n] for n in names)
