"""locals(), vars(), frame f_locals, exec/eval, cells, nonlocal and global: the
rewriter adds no name a program can see."""

import sys

counter = 0
shared = {"hits": 0}


def show(title, mapping):
    print(title, sorted(k for k in mapping if not k.startswith("__") or "pyrace" in k))


def closures():
    done = False
    box = []
    total = 0

    def worker(n):
        nonlocal done, total
        done = True
        total += n
        box.append(n)
        show("worker locals", locals())
        show("worker f_locals", sys._getframe().f_locals)
        return total

    worker(2)
    worker(3)
    total = total * 10
    show("closures locals", locals())
    show("closures vars", vars())
    print(worker.__code__.co_freevars, closures.__code__.co_cellvars, len(worker.__closure__))
    print(closures.__code__.co_varnames)
    return done, total, box


def globals_and_exec():
    global counter
    counter += 1
    shared["hits"] += 1
    x = 5
    print(eval("x + counter"), eval("shared['hits']"))
    ns = {}
    exec("y = x * 2", {"x": x}, ns)
    print(ns)
    exec("counter2 = 7")
    show("after exec", locals())
    return counter


class Body:
    a = 1
    b = [a * 2]
    c = [a for _ in range(2)] if False else None
    show("class body", locals())

    def method(self):
        show("method", locals())
        return self.a, self.b


def generator_locals():
    seen = []
    for i in range(3):
        seen.append(i)
        yield dict(sorted((k, v) for k, v in locals().items() if not k.startswith("__") or "pyrace" in k))


def comprehension_locals():
    data = {"k": 1}
    return [sorted(locals()) for _ in [0]], {k: sorted(locals()) for k in data}


def delete_and_rebind():
    obj = type("O", (), {})()
    obj.x = 1
    obj.d = {"a": 1}
    obj.d["a"] += 1
    obj.x += 1
    try:
        obj.d["missing"] += 1
    except KeyError as e:
        show("after failed update", locals())
        print(repr(e))
    del obj.x
    del obj.d["a"]
    show("delete", locals())
    return vars(obj)


def nested_nonlocal():
    n = 0

    def a():
        def b():
            nonlocal n
            n += 1
            return n
        return b
    f = a()
    f()
    f()
    print(a.__code__.co_cellvars, a.__code__.co_freevars, f.__code__.co_freevars)
    show("nested", locals())
    return n


print(closures())
print(globals_and_exec(), counter, shared)
print(Body().method())
print(list(generator_locals()))
print(comprehension_locals())
print(delete_and_rebind())
print(nested_nonlocal())
show("module globals", globals())
show("module vars", vars(sys.modules[__name__]))
print(sorted(n for n in dir() if "pyrace" in n))
