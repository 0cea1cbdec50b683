"""What inspect and the code objects show: __qualname__, source, signatures, line
numbers, closures, code flags; zero-argument super() and the __class__ cell."""

import dis
import inspect
import sys


class Base:
    registry = {}

    def __init__(self, x):
        self.x = x
        Base.registry[type(self).__name__] = self.x

    def describe(self):
        return "Base(%s)" % self.x

    @classmethod
    def make(cls, x):
        return cls(x)


class Child(Base):
    def __init__(self, x, y=2, *args, key=None, **kw):
        super().__init__(x)
        self.y = y

    def describe(self):
        inner = lambda: super(Child, self).describe()
        return "Child[%s %s %s]" % (super().describe(), inner(), __class__.__name__)

    @classmethod
    def make(cls, x):
        obj = super().make(x)
        obj.y = cls.__name__
        return obj

    @staticmethod
    def static(a, /, b, *, c=3):
        return a + b + c

    @property
    def both(self):
        return self.x, self.y

    def uses_class_cell(self):
        def nested():
            return __class__
        return nested().__qualname__, [__class__.__name__ for _ in range(1)]


def outer(a, b=1):
    count = 0

    def inner(k):
        nonlocal count
        count += k
        return count
    inner(a)
    return inner


fn = outer(2)
shared = 1


def attribute_names(o):
    o.shared = o.len + o.other.value
    del o.gone
    o.count += 1
    o.items["k"] += 1
    o.a.b.count += 1
    return o.items.get("k")


for f in (Child.__init__, Child.describe, Child.make, Child.static, Child.uses_class_cell, outer, fn,
          Child.both.fget):
    print(f.__qualname__, f.__name__, inspect.signature(f), f.__code__.co_firstlineno)
    print("  ", f.__code__.co_varnames, f.__code__.co_cellvars, f.__code__.co_freevars,
          f.__code__.co_flags, f.__code__.co_argcount, f.__code__.co_kwonlyargcount)
    print("  ", f.__defaults__, f.__kwdefaults__, f.__doc__, len(f.__closure__ or ()))
print(inspect.getsource(Child.describe))
print(inspect.getsource(Child.both.fget))
print(inspect.getsourcelines(outer)[1], inspect.getsourcelines(fn)[1])
print(inspect.getsource(Base))
print(inspect.getclosurevars(fn))
print(inspect.getclosurevars(Child.uses_class_cell).nonlocals)
cv = inspect.getclosurevars(attribute_names)
print(cv.nonlocals, cv.globals, cv.builtins, sorted(cv.unbound))
print(attribute_names.__code__.co_names)
print(inspect.getfile(outer) == __file__, inspect.getmodule(outer).__name__)
c = Child.make(4)
print(c.describe(), c.both, Child.static(1, 2), c.uses_class_cell(), Base.registry)
print(fn(3), fn.__closure__[0].cell_contents)
print(inspect.isgeneratorfunction(outer), inspect.iscoroutinefunction(outer))
print(inspect.getmembers(c, lambda v: not callable(v) and not isinstance(v, (dict, tuple, type(None), str))))
print(sorted(n for n in dir(sys.modules[__name__]) if not n.startswith("__")))
print(sorted(k for k in Child.__dict__))
lines = {ln for _, _, ln in fn.__code__.co_lines() if ln is not None}
print(sorted(lines))
frame = sys._getframe()
print(frame.f_code.co_name, frame.f_lineno, inspect.getframeinfo(frame).lineno)
print(inspect.stack()[0].lineno, inspect.currentframe().f_lineno)
print([i.opname for i in dis.get_instructions(Child.static)].count("RETURN_VALUE") > 0)


def tests_of_displays(x, a, b):
    # The compiler turns a list or set display tested with `in` into a constant tuple
    # or frozenset; code that reads its own code objects (test_peepholer) sees that.
    return x in [a, b], x not in {1, 2}, x in (a, b), x in [1, 2]


print(sorted(i.opname for i in dis.get_instructions(tests_of_displays) if i.opname.startswith("BUILD_")))
print([c for c in tests_of_displays.__code__.co_consts if isinstance(c, (tuple, frozenset))])
print(tests_of_displays(1, 1, 2), tests_of_displays(3, 1, 2))


class StoresInMethods:
    # 3.13's __static_attributes__ lists the `self.X = ...` stores the compiler saw in the
    # methods: a nested function's own `self` does not make the method's a cell.
    def g(self, obj):
        self.y = 4
        self.z = 5

        def h(self, a):
            self.u = a
        return h


print("static attributes", sorted(getattr(StoresInMethods, "__static_attributes__", ())))
