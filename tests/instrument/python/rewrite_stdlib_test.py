"""Every module of the standard library, its own tests included, rewritten, compiled
and bound without error: the rewriter is called directly, nothing is run.

Run: python3 rewrite_stdlib_test.py [--lib DIR]
A file the interpreter itself refuses to compile (the test suite's deliberately bad
sources, Python 2 test data) is skipped; any other failure fails the test.
"""

import argparse
import os
import sys
import sysconfig
import time
import types
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "instrument", "python"))

import _pyrace_instrument as inst  # noqa: E402
from _pyrace_instrument import reference_hooks, rewriter  # noqa: E402

sys.modules["_pyrace"] = types.SimpleNamespace(access_hooks=reference_hooks.access_hooks)


def sources(lib):
    for root, dirs, files in os.walk(lib):
        dirs[:] = sorted(d for d in dirs if d not in ("site-packages", "dist-packages", "__pycache__"))
        for f in sorted(files):
            path = os.path.join(root, f)
            # A dangling link is no source (Debian's sitecustomize.py points into /etc).
            if f.endswith(".py") and os.path.isfile(path):
                yield path


def module_name(lib, path):
    rel = os.path.relpath(path, lib)[:-3].replace(os.sep, ".")
    return rel[:-len(".__init__")] if rel.endswith(".__init__") else rel


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", default=sysconfig.get_paths()["stdlib"])
    args = ap.parse_args()
    start = time.time()
    done = skipped = 0
    failures = []
    for path in sources(args.lib):
        with open(path, "rb") as f:
            source = f.read()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                compile(source, path, "exec", dont_inherit=True)
            except (SyntaxError, ValueError):
                skipped += 1
                continue
            name = module_name(args.lib, path)
            try:
                code, sites = inst._compile_unbound(source, path, name)
                rewriter.bind(code, sites, name, path)
            except Exception as e:  # noqa: BLE001 - every failure is reported
                failures.append("%s: %s: %s" % (path, type(e).__name__, e))
                continue
        done += 1
    for f in failures:
        print("FAIL", f)
    print("%d modules rewritten and compiled, %d failed, %d skipped (the interpreter refuses them) "
          "in %.0fs (%s, %s)" % (done, len(failures), skipped, time.time() - start, sys.version.split()[0],
                                 args.lib))
    return 1 if failures or done < 500 else 0


if __name__ == "__main__":
    sys.exit(main())
