"""A module the import hook rewrites: its globals, its functions re-created with other
globals, its code objects, as the program sees them."""

import types

import _helper

p = _helper._Private()
print(p.bump(), p.bump(), _helper.registry, _helper.count)
print(_helper.names(), sorted(n for n in vars(_helper) if not n.startswith("__") or "pyrace" in n))
print(type(_helper.__loader__).__name__ in ("SourceFileLoader", "InstrumentingLoader"), _helper.__spec__.name)
bump = types.FunctionType(_helper._Private.bump.__code__, {"__builtins__": __builtins__, "count": 10,
                                                           "registry": {}})
print(bump(p), sorted(bump.__globals__))
clone = types.FunctionType(_helper.names.__code__, {"__builtins__": __builtins__, "x": 1})
print(clone())
print(_helper._Private.bump.__code__.co_names, _helper._Private.__init__.__code__.co_names)
