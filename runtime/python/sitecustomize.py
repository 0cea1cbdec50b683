# pyrace's runtime directory is first on PYTHONPATH in the processes of a program
# pyrace runs, so `site` imports this module at start-up in each of them. In a child
# process pyrace follows (PYRACE_FOLLOW=1, docs/children.md) it starts the runtime;
# either way it then hands over to the sitecustomize the interpreter would have
# imported without pyrace, and leaves no trace of itself in sys.modules.
def _pyrace_start_child():
    import os
    import sys

    if os.environ.get("PYRACE_FOLLOW") != "1":
        return
    try:
        import _pyrace
    except ImportError:
        # No runtime for this interpreter: it runs as it would, and the tool names it
        # as not analysed (its parent told the tool it started it).
        own = os.environ.get("PYRACE_PYTHONPATH", "")
        data = os.environ._data
        for key in (b"PYRACE_RUNTIME_OPTIONS", b"PYRACE_PYTHONPATH", b"PYRACE_FOLLOW"):
            data.pop(key, None)
        if own.startswith("+"):
            data[b"PYTHONPATH"] = os.fsencode(own[1:])
        elif own == "-":
            data.pop(b"PYTHONPATH", None)
        _pyrace_hide_directory()
        return
    _pyrace.bootstrap_child()


def _pyrace_hide_directory():
    # The rule the runtime follows once it has started (HideRuntimeDirectory,
    # bootstrap.cpp), for an interpreter it cannot start: PYTHONPATH's entry for this
    # directory leaves sys.path, the first one, and with no other entry for it its
    # finders, and those of its packages' directories, leave sys.path_importer_cache.
    import os
    import sys

    here = os.path.dirname(__file__)
    if here not in sys.path:
        return
    sys.path.remove(here)
    if here in sys.path:
        return
    cache = sys.path_importer_cache
    for key in [k for k in cache if isinstance(k, str) and (k == here or k.startswith(here + "/"))]:
        del cache[key]


def _pyrace_next_sitecustomize():
    # The import system's own frozen modules, always loaded: importlib.machinery and
    # importlib.util would add modules to sys.modules the plain run does not have.
    import _frozen_importlib
    import _frozen_importlib_external
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    path = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = _frozen_importlib_external.PathFinder.find_spec("sitecustomize", path)
    if spec is None:
        # What `site` sees when there is no sitecustomize: it ignores this error and
        # the import system drops this module from sys.modules.
        raise ModuleNotFoundError("No module named 'sitecustomize'", name="sitecustomize")
    # The import of this module returns whatever sys.modules holds once it ran.
    module = _frozen_importlib.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


# The program's own sitecustomize runs whatever became of the runtime's start; a
# failed start is still what `site` reports ("Error in sitecustomize").
_pyrace_error = None
try:
    _pyrace_start_child()
except Exception as e:
    _pyrace_error = e
try:
    _pyrace_next_sitecustomize()
finally:
    if _pyrace_error is not None:
        raise _pyrace_error
