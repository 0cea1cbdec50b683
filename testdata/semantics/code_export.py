"""Code that leaves the interpreter: marshal writes a function's code, and (3.13+)
_interpreters runs a function or code object in another interpreter, which marshals
it there. Rewritten code holds its hooks as constants; what leaves is the plain
program's code, and does there what it does plainly. Pickling code by value, as
cloudpickle and dill do for the functions a process pool sends its workers, pickles
those constants: loaded where pyrace runs, the code does what it does plainly."""

import io
import marshal
import os
import pickle
import sys
import types


class Counter:
    def __init__(self):
        self.n = 0

    def bump(self, k):
        self.n += k
        return self.n


def use(c, k):
    c.items = getattr(c, "items", {})
    c.items[k] = c.bump(k)
    return sorted(c.items.items())


def tally(c, counts, k):
    c.items = getattr(c, "items", {})
    c.items[k] = c.items.get(k, 0)
    c.items[k] += 2
    counts[k] = counts.get(k, 0)
    counts[k] += 1
    return c.items[k], counts[k]


def outer():
    seen = []

    def inner(x):
        seen.append(x)
        return len(seen)

    return inner


pair = (lambda: [x * 2 for x in range(3)], lambda: "second")


def round_trip(fn):
    code = marshal.loads(marshal.dumps(fn.__code__))
    return types.FunctionType(code, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)


print(round_trip(use)(Counter(), 3))
print(round_trip(Counter.bump)(Counter(), 2))
print(round_trip(pair[0])(), round_trip(pair[1])())
inner = outer()
print(round_trip(inner)(1), round_trip(inner)(2))

codes = marshal.loads(marshal.dumps((use.__code__, [Counter.bump.__code__], {"k": pair[1].__code__},
                                     frozenset([inner.__code__]))))
print([c.co_name for c in (codes[0], codes[1][0], codes[2]["k"], *codes[3])])
buf = io.BytesIO()
marshal.dump(use.__code__, buf)
buf.seek(0)
print([c for c in marshal.load(buf).co_consts if not isinstance(c, types.CodeType)])
print(marshal.loads(marshal.dumps(compile("a.b = c[d]", "<s>", "exec"))).co_names)


# What cloudpickle and dill do: a code object pickles as the CodeType call that makes it
# again from its fields, constants (nested code objects too) pickled one by one.
CODE_FIELDS = ["co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_nlocals", "co_stacksize",
               "co_flags", "co_code", "co_consts", "co_names", "co_varnames", "co_filename", "co_name"]
CODE_FIELDS += ["co_qualname"] if sys.version_info >= (3, 11) else []
CODE_FIELDS += ["co_firstlineno", "co_linetable"]
CODE_FIELDS += ["co_exceptiontable"] if sys.version_info >= (3, 11) else []
CODE_FIELDS += ["co_freevars", "co_cellvars"]


def make_code(*fields):
    return types.CodeType(*fields)


def make_function(code, name, defaults):
    return types.FunctionType(code, globals(), name, defaults)


class ByValue(pickle.Pickler):
    def reducer_override(self, obj):
        if isinstance(obj, types.CodeType):
            return make_code, tuple(getattr(obj, f) for f in CODE_FIELDS)
        if isinstance(obj, types.FunctionType) and obj.__closure__ is None and obj not in (make_code, make_function):
            return make_function, (obj.__code__, obj.__name__, obj.__defaults__)
        return NotImplemented


def by_value(obj, protocol):
    buf = io.BytesIO()
    ByValue(buf, protocol).dump(obj)
    return pickle.loads(buf.getvalue())


for protocol in (2, pickle.HIGHEST_PROTOCOL):
    print(by_value(use, protocol)(Counter(), 4), by_value(Counter.bump, protocol)(Counter(), 5))
    print(by_value(tally, protocol)(Counter(), {}, "k"))
    first, second = by_value(pair, protocol)
    print(first(), second())
    code = by_value(outer.__code__, protocol)
    print(code.co_name, code.co_qualname if sys.version_info >= (3, 11) else "", code.co_firstlineno,
          [c.co_name for c in code.co_consts if isinstance(c, types.CodeType)])
# Every function of one module, loaded one by one, still runs as it did.
copies = [by_value(f, pickle.HIGHEST_PROTOCOL) for f in (use, use, Counter.bump)]
print(copies[0](Counter(), 6), copies[1](Counter(), 7), copies[2](Counter(), 8))

try:
    import _interpreters
except ImportError:
    _interpreters = None

if _interpreters is not None:
    r, w = os.pipe()

    def script():
        import os
        os.write(w, b"ran there;")

    interp = _interpreters.create()
    _interpreters.set___main___attrs(interp, dict(w=w))
    print(_interpreters.run_func(interp, script))
    print(_interpreters.exec(interp, script.__code__))
    print(_interpreters.exec(interp, code=script.__code__))
    print(_interpreters.call(interp, script))
    _interpreters.destroy(interp)
    os.close(w)
    with open(r, "rb") as f:
        print(f.read())
