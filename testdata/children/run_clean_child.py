# A clean parent and a clean child: pyrace exits with the parent's own code (3).
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
print("parent env", sorted(k for k in os.environ if k.startswith("PYRACE")), os.environ.get("PYTHONPATH", "<unset>"))
r = subprocess.run([sys.executable, os.path.join(here, "clean_child.py"), "4"])
print("child exited", r.returncode)
# What a preexec_fn puts into the environment reaches the child (env=None inherits).
r = subprocess.run([sys.executable, os.path.join(here, "clean_child.py"), "0"],
                   preexec_fn=lambda: os.putenv("FRUIT", "apple"))
print("child exited", r.returncode)
# An environment posix refuses is refused under pyrace too (a name holding '=' must not
# come back as another name and value): the exec never happens.
for name, value in (("FRUIT\0VEGETABLE", "cabbage"), ("FRUIT", "orange\0VEGETABLE=cabbage"), ("FRUIT=ORANGE", "lemon")):
    try:
        os.execve(sys.executable, [sys.executable, "-c", "print('exec ran')"], dict(os.environ, **{name: value}))
    except ValueError as e:
        print("execve refused", repr(name), e)
# The program's own argument tuple is left as it was (the wrapper hands the original a
# copy with the child's environment).
# (A child that prints nothing: posix_spawn passes on every descriptor the test's own
# runner left open, which differs between the runner's plain and pyrace launches.)
spawn_args = (sys.executable, [sys.executable, "-c", "pass"], dict(os.environ))
env_given = spawn_args[2]
os.waitpid(os.posix_spawn(*spawn_args), 0)
print("spawn arguments unchanged", spawn_args[2] is env_given)
# The import path is a plain run's, in the program and in a child, with PYTHONPATH empty
# too (an empty PYTHONPATH adds nothing): nothing of the runtime's directory shows.
print("sys.path", sys.path[1:])
show = "import sys; print('child sys.path', sys.path[1:], sorted(sys.path_importer_cache)[-3:])"
subprocess.run([sys.executable, "-c", show])
subprocess.run([sys.executable, "-c", show], env=dict(os.environ, PYTHONPATH=""))
sys.exit(3)
