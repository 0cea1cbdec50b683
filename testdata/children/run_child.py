# The parent is clean; its child (child_race.py) races. The parent exits with the
# child's code plus 10, so the test sees both codes travel.
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
code = int(sys.argv[1]) if len(sys.argv) > 1 else 0
# An environment built from os.environ, as programs do: the child is followed anyway.
env = dict(os.environ, CHILD_MARK="1")
r = subprocess.run([sys.executable, os.path.join(here, "child_race.py"), str(code)], env=env)
print("child exited", r.returncode)
sys.exit(r.returncode + 10 if r.returncode else 0)
