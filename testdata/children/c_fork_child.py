# fork() called from C (here through ctypes), which skips Python's fork hooks: the
# child writes a line and ends; the parent waits for it.
import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)
pid = libc.fork()
if pid == 0:
    os.write(1, b"child forked from C\n")
    os._exit(3)
_, status = os.waitpid(pid, 0)
print("C-forked child exited", os.waitstatus_to_exitcode(status))
