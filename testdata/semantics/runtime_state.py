"""What the runtime leaves of itself where the program can look: the import path, the
finders cached for its entries, and sys.modules. A test harness that restores
sys.modules drops the runtime's modules; an import the runtime hooks (runpy) still
works afterwards."""

import sys

print(sys.path[1:])
print(sorted(k for k in sys.path_importer_cache if "pyrace" in k))
for name in [n for n in sys.modules if n.startswith("_pyrace")]:
    del sys.modules[name]
import runpy  # noqa: E402

print(runpy.run_path.__name__)
