"""Finders the program puts on sys.meta_path itself: which one answers an import, how
often each is asked (once per import, found or not), and (up to 3.11) a finder with only the old find_module, which
the machinery still consults, with its ImportWarning."""

import sys
import types
import warnings


class Counting:
    """Asks nothing, counts how often the machinery asks it."""

    def __init__(self):
        self.asked = []

    def find_spec(self, name, path=None, target=None):
        self.asked.append(name)
        return None


class Legacy:
    """Claims one module through find_module/load_module only."""

    def find_module(self, name, path=None):
        return self if name == "colorsys" else None

    def load_module(self, name):
        module = types.ModuleType(name)
        module.made_by = "Legacy"
        module.__loader__ = self
        sys.modules[name] = module
        return module


counting = Counting()
# Before the path finder, which would find the real colorsys.
sys.meta_path.insert(len(sys.meta_path) - 1, Legacy())
sys.meta_path.insert(len(sys.meta_path) - 1, counting)

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import colorsys
print(getattr(colorsys, "made_by", "the path finder"))
print(sorted({str(w.category.__name__) for w in caught}))

try:
    import no_such_module_anywhere  # noqa: F401
except ImportError as e:
    print(type(e).__name__, e)
print(counting.asked.count("colorsys"), counting.asked.count("no_such_module_anywhere"))

# importlib.util.find_spec and importlib.reload ask the same finders; sys.meta_path
# holds only what the program and the interpreter put there.
import importlib.util

print(importlib.util.find_spec("no_such_module_either"), counting.asked.count("no_such_module_either"))
print([type(f).__name__ if not isinstance(f, type) else f.__name__ for f in sys.meta_path])


class NotASpec:
    """What a finder may return in place of a spec: importlib.util.find_spec hands it
    back without reading anything of it."""

    reads = []

    def __getattr__(self, name):
        NotASpec.reads.append(name)
        raise AttributeError(name)


class Odd:
    def find_spec(self, name, path=None, target=None):
        return NotASpec() if name == "odd_module" else (name, path) if name == "odder_module" else None


sys.meta_path.insert(0, Odd())
print(type(importlib.util.find_spec("odd_module")).__name__, NotASpec.reads)
print(importlib.util.find_spec("odder_module"))
sys.meta_path.pop(0)
