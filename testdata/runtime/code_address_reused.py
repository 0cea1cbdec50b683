# A stack is keyed by its code objects' addresses and offsets: once a code object is
# freed, the next one at that address must get stacks of its own. The functions
# compiled here (with this file's name, padded so that their acquire is on a line of
# this file) are freed one after another, so the allocator hands a freed one's
# address to the next; all of them acquire at the same offset and are called from the
# same place, so their stacks have the same keys. Only the last one leaves the lock
# held (`locked()` where the others release, the same size of code): the finding must
# be at its own line, not at the line of the code that was at its address before.
import gc
import threading

LOCK = threading.Lock()
ADDRESSES = set()


def make(line, call):
    ns = {}
    src = "\n" * (line - 2) + "def f(lock):\n    lock.acquire()\n    lock.%s()\n" % call
    exec(compile(src, __file__, "exec"), ns)
    ADDRESSES.add(id(ns["f"].__code__))
    return ns["f"]


for i in range(51):
    f = make(30, "release") if i < 50 else make(31, "locked")
    f(LOCK)
    del f
    gc.collect()
print("code addresses", len(ADDRESSES))
# the first 50 acquire here
# the last one acquires here  # expect: missed-release
