"""A function's code pickled by value, the way cloudpickle and dill send a function to
a process pool's workers: the code object pickles as the CodeType call that makes it
again from its fields, its constants one by one."""
# fixture: helper (pickled_function_unlocked.py and its clean twin import it)
import io
import pickle
import sys
import types

FIELDS = ["co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_nlocals", "co_stacksize",
          "co_flags", "co_code", "co_consts", "co_names", "co_varnames", "co_filename", "co_name"]
FIELDS += ["co_qualname"] if sys.version_info >= (3, 11) else []
FIELDS += ["co_firstlineno", "co_linetable"]
FIELDS += ["co_exceptiontable"] if sys.version_info >= (3, 11) else []
FIELDS += ["co_freevars", "co_cellvars"]


def make_code(*fields):
    return types.CodeType(*fields)


class ByValue(pickle.Pickler):
    def reducer_override(self, obj):
        if isinstance(obj, types.CodeType):
            return make_code, tuple(getattr(obj, f) for f in FIELDS)
        return NotImplemented


def copy_of(fn):
    """fn's copy made of its code pickled by value and loaded."""
    buf = io.BytesIO()
    ByValue(buf).dump(fn.__code__)
    return types.FunctionType(pickle.loads(buf.getvalue()), fn.__globals__, fn.__name__)
