# The counter of counter_unlocked.py, run by two threads as a copy of its function
# pickled by value, the way cloudpickle and dill send a function to a process pool's
# workers: the copy's code is the rewritten code, and its lost update is reported where
# the original's would be.
import io
import pickle
import sys
import threading
import types

sys.setswitchinterval(1e-5)
start = threading.Barrier(2)


class Stats:
    hits = 0


def work(stats, n):
    start.wait()
    for _ in range(n):
        stats.hits += 1  # expect: data-race


def make_code(*fields):
    return types.CodeType(*fields)


FIELDS = ["co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_nlocals", "co_stacksize",
          "co_flags", "co_code", "co_consts", "co_names", "co_varnames", "co_filename", "co_name"]
FIELDS += ["co_qualname"] if sys.version_info >= (3, 11) else []
FIELDS += ["co_firstlineno", "co_linetable"]
FIELDS += ["co_exceptiontable"] if sys.version_info >= (3, 11) else []
FIELDS += ["co_freevars", "co_cellvars"]


class ByValue(pickle.Pickler):
    def reducer_override(self, obj):
        if isinstance(obj, types.CodeType):
            return make_code, tuple(getattr(obj, f) for f in FIELDS)
        return NotImplemented


buf = io.BytesIO()
ByValue(buf).dump(work.__code__)
copy = types.FunctionType(pickle.loads(buf.getvalue()), globals(), "work")
stats = Stats()
threads = [threading.Thread(target=copy, args=(stats, 2000)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("hits =", stats.hits)
