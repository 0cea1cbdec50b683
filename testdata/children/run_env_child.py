# What a program that is not Python sees of the environment: `env` started directly, by
# a shell, and with an environment the program built from os.environ. Prints what each
# one's environment has beyond (extra) or lacks from (missing) os.environ, by name.
import os
import subprocess


def compare(label, argv, env=None):
    out = subprocess.run(argv, env=env, capture_output=True, check=True).stdout.decode()
    seen = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    own = dict(os.environ)
    extra = sorted(k for k in seen if k not in own or seen[k] != own[k])
    missing = sorted(k for k in own if k not in seen)
    print(label, "extra", extra, "missing", missing)
    if "PYTHONPATH" in extra:
        print(label, "PYTHONPATH", seen["PYTHONPATH"])


compare("env", ["env"])
compare("sh", ["/bin/sh", "-c", "exec env"])
compare("built", ["env"], env=dict(os.environ))
