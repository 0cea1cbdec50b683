"""Imported by imports.py: a module of the project, rewritten by the import hook."""

registry = {}
count = 0


class _Private:
    def __init__(self):
        self.__hidden = {"k": 1}

    def bump(self):
        global count
        count += 1
        self.__hidden["k"] += count
        registry[count] = self.__hidden["k"]
        return self.__hidden


def names():
    return sorted(n for n in globals() if not n.startswith("__") or "pyrace" in n)
