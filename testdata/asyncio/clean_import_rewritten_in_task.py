# A task imports a module that race mode rewrites (the first import of a large module
# in a request handler): the rewriting is pyrace's own time, which a plain run does not
# spend, and the loop is not reported as blocked for it. The module is written to a
# temporary directory and instrumented by name.
# fixture: options --instrument lazily_imported
import asyncio
import os
import sys
import tempfile


async def handler():
    import lazily_imported

    return len([name for name in vars(lazily_imported) if name.startswith("update_")])


with tempfile.TemporaryDirectory() as directory:
    with open(os.path.join(directory, "lazily_imported.py"), "w") as f:
        for i in range(1000):
            f.write(f"def update_{i}(obj, key):\n    obj.total += key\n    obj.seen[key] = obj.seen.get(key, 0) + 1\n")
    sys.path.insert(0, directory)
    print("functions:", asyncio.run(handler()))
