# A child that does nothing racy; it prints what it sees of pyrace in its
# environment and exits with the code it was given.
import os
import sys

print("child env", sorted(k for k in os.environ if k.startswith("PYRACE")), os.environ.get("PYTHONPATH", "<unset>"))
print("child sitecustomize", "sitecustomize" in sys.modules)
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
