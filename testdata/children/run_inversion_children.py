# Two children of one run take the same two lock classes in opposite orders (see
# lock_order_run.py): no process can deadlock alone, the process tree can.
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
for order in ("ab", "ba"):
    subprocess.run([sys.executable, os.path.join(here, "lock_order_run.py"), order], check=True)
