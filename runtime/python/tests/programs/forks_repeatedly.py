"""Forks 400 times. The runtime stops its own threads before each fork; os.fork()
on 3.12+ counts the threads the kernel still has and warns when there is more than one,
so a thread joined but not yet gone from the kernel's count shows as a warning here."""
import os
import warnings

warnings.simplefilter("always")
FORKS = 400
for _ in range(FORKS):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
print("forked", FORKS)
