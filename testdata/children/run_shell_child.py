# Children that are not Pythons with a pyrace runtime run as they would: a shell, and
# through it a Python child that is analysed (its parent is the shell).
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
r = subprocess.run(["/bin/sh", "-c", "echo from-shell; exit 5"])
print("shell exited", r.returncode)
r = subprocess.run("'%s' '%s'" % (sys.executable, os.path.join(here, "child_race.py")), shell=True)
print("python via shell exited", r.returncode)
