"""An uncaught exception goes where python sends it: the sys.excepthook audit event,
sys.last_value for the exit handlers, and a hook that fails itself printed with the
original error ("Error in sys.excepthook")."""

import atexit
import sys


def audit(event, args):
    if event == "sys.excepthook":
        print(event, args[0].__name__, repr(args[2]))


def hook(exc_type, exc, tb):
    raise ValueError("the hook fails too")


sys.addaudithook(audit)
atexit.register(lambda: print("at exit: sys.last_value =", repr(getattr(sys, "last_value", None))))
sys.excepthook = hook
raise RuntimeError("fatal-error")
