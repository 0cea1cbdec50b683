"""Code that leaves the interpreter: marshal writes a function's code, and (3.13+)
_interpreters runs a function or code object in another interpreter, which marshals
it there. Rewritten code holds its hooks as constants; what leaves is the plain
program's code, and does there what it does plainly."""

import io
import marshal
import os
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
