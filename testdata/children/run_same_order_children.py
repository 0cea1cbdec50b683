# The clean twin of run_inversion_children.py: both children take the two lock classes
# in the same order, so the process tree has no cycle.
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
for order in ("ab", "ab"):
    subprocess.run([sys.executable, os.path.join(here, "lock_order_run.py"), order], check=True)
