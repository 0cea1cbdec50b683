# A child that does nothing racy; it prints what it sees of pyrace in its
# environment and exits with the code it was given.
import os
import sys

print("child env", sorted(k for k in os.environ if k.startswith("PYRACE")), os.environ.get("PYTHONPATH", "<unset>"))
print("child sitecustomize", "sitecustomize" in sys.modules)
print("child FRUIT", os.environ.get("FRUIT"))
# The descriptors open in the child, below the ones pyrace keeps for itself: the same
# as without pyrace (close_fds and pass_fds are observable this way).
print("child fds", sorted(int(fd) for fd in os.listdir("/proc/self/fd") if int(fd) < 1000))
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
