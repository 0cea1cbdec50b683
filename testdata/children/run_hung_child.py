# The parent waits for a child that hangs; the child's watchdog ends it.
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
r = subprocess.run([sys.executable, os.path.join(here, "hung_child.py")])
print("child ended", r.returncode != 0)
