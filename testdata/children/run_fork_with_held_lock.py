# A followed child forks while another of its threads holds a lock: the child's own
# analysis reports it, as the top process's does (fork_with_held_lock.py).
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
r = subprocess.run([sys.executable, os.path.join(here, "fork_with_held_lock.py")])
print("child exited", r.returncode)
