# A clean parent whose child (argv[1], a program of this directory) forks: the child is
# followed, so its own fork is analysed as a top process's would be.
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
r = subprocess.run([sys.executable, os.path.join(here, sys.argv[1])])
print("child exited", r.returncode)
