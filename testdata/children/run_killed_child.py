import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
r = subprocess.run([sys.executable, os.path.join(here, "killed_child.py")])
print("child returncode", r.returncode)
