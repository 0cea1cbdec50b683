"""pyrace's import hook: rewrites the user's own modules so their shared-state
accesses reach the race detector (see rewriter.py for what is rewritten).

The runtime, in race mode, calls

    _pyrace_instrument.install_for_argv(sys.argv, patterns, meta_path=False)
    _pyrace_instrument.compile_source(source, path, "__main__")   # pyrace run script.py

and its own spec hook (C, runtime/python/import_hook.cpp, around importlib's
_find_spec) hands the spec of every import to spec_for(name, spec), with tracing
suspended. InstrumentingFinder (install()),
run_path and run_module do the same from Python alone.

Which modules are rewritten: the script, the -m target, modules whose file is under
the project directory (the script's directory, or the current directory for -m) but
not in the standard library or site-packages, and modules matching a pattern of the
`instrument` option (fnmatch on the dotted name; "pkg.mod" also covers "pkg.mod.*").
Rewritten bytecode is cached next to the ordinary one under its own name
(__pycache__/mod.cpython-311.pyrace-<version>.pyc), so it never collides with it.
"""

# Little beyond what a plain interpreter has loaded before site runs: the runtime imports
# this package at start-up in race mode, and every followed child does too, while most
# of them never load a module of the project. The rewriter (with ast) is loaded when a
# module is first rewritten, so a process that rewrites nothing neither pays for it nor
# finds those modules in sys.modules. What spec_for needs is imported by install(),
# before the runtime's finder calls it: an import inside a finder's decision would ask
# that finder again, of a module half loaded.
import builtins
import io
import marshal
import os
import sys

# What importlib.machinery and importlib.util export under these names, from the frozen
# module every interpreter loads at start-up (importlib itself, with warnings, it does not).
from _frozen_importlib import module_from_spec
from _frozen_importlib_external import MAGIC_NUMBER, SourceFileLoader, cache_from_source, spec_from_file_location

__all__ = ["install", "install_for_argv", "uninstall", "run_path", "run_module", "compile_source", "should_instrument",
           "spec_for", "plain_code"]

_HERE = os.path.dirname(os.path.abspath(__file__))
_loaded = {}  # "rewriter" -> the module, "version" -> the rewriter's version


def _rewriter():
    """The rewriter module, loaded on first use straight from its file, not through the
    import system: by then the runtime directory is off sys.path (bootstrap.cpp), and the
    program may have dropped this package from sys.modules. Two threads rewriting their
    first modules at once may both load it; one copy is kept. (Not under the import
    lock: loading it imports ast, whose module lock another thread may hold.)"""
    mod = _loaded.get("rewriter")
    if mod is None:
        name = __name__ + ".rewriter"
        mod = sys.modules.get(name)  # imported already (`from _pyrace_instrument import rewriter`)
        if mod is None:
            spec = spec_from_file_location(name, os.path.join(_HERE, "rewriter.py"))
            mod = module_from_spec(spec)
            spec.loader.exec_module(mod)
            sys.modules.setdefault(name, mod)
        mod = _loaded.setdefault("rewriter", mod)
    return mod


def version():
    """The cache key of every rewrite: any change to the rewriter invalidates them all."""
    v = _loaded.get("version")
    if v is None:
        try:
            # hashlib's OpenSSL backend costs race mode 3.5 MB of resident memory for one digest.
            from _sha1 import sha1
        except ImportError:  # an interpreter built without its own hash modules
            from hashlib import sha1
        h = sha1()
        for name in ("rewriter.py", "__init__.py"):
            try:
                with open(os.path.join(_HERE, name), "rb") as f:
                    h.update(f.read())
            except OSError:
                pass
        v = _loaded["version"] = h.hexdigest()[:12]
    return v


def _cache_header(st, module_name):
    return MAGIC_NUMBER + b"PYRC" + ("%d:%d:%s\n" % (st.st_mtime_ns, st.st_size, module_name)).encode()


# The main script's names: __main__, and __mp_main__ when a multiprocessing spawn or
# forkserver child runs the parent's main script again.
_MAIN_NAMES = ("__main__", "__mp_main__")


def display_name(module_name, filename):
    """How reports name a module: the script's file stem for the main script."""
    if module_name in _MAIN_NAMES and filename:
        return os.path.splitext(os.path.basename(filename))[0]
    return module_name


def _compile_unbound(source, filename, module_name):
    """(code, sites): the rewritten module compiled, its hooks not yet bound (what the
    cache keeps: bound code holds the hook objects, which marshal cannot write)."""
    import ast
    tree = compile(source, filename, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    _rewriter().rewrite(tree, filename, module_name, display_name(module_name, filename))
    return compile(tree, filename, "exec", dont_inherit=True), tree.pyrace_sites


def compile_source(source, filename, module_name):
    """Source (bytes or str) -> the rewritten module's code object. A source that does
    not parse raises the very SyntaxError Python itself would."""
    code, sites = _compile_unbound(source, filename, module_name)
    return _rewriter().bind(code, sites, display_name(module_name, filename), filename)


# -- the plain twin ------------------------------------------------------------
# Rewritten code holds its hooks as constants, which marshal cannot write and another
# interpreter could not call. Code that leaves (marshal, _interpreters: the runtime's
# code_export.cpp) leaves as the plain program compiled it: the same source compiled
# without the rewrite. The last few modules' plain code is kept, keyed by their source.
_plain_modules = {}  # filename -> (source, plain module code)
_PLAIN_KEPT = 4


def _plain_module(filename):
    try:
        with io.open_code(filename) as f:
            source = f.read()
    except (OSError, ValueError):
        return None
    kept = _plain_modules.get(filename)
    if kept is not None and kept[0] == source:
        return kept[1]
    if source.startswith(MAGIC_NUMBER):
        return None
    try:
        code = compile(source, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None
    if len(_plain_modules) >= _PLAIN_KEPT:
        _plain_modules.pop(next(iter(_plain_modules)))
    _plain_modules[filename] = (source, code)
    return code


def _start(code):
    """Where the code's first instruction is (lambdas on one line share the rest)."""
    positions = getattr(code, "co_positions", None)
    return next(iter(positions()), None) if positions is not None else None


def _same_shape(a, b):
    """Whether b can stand for a: the same function, arguments, locals and cells."""
    return (getattr(a, "co_qualname", a.co_name) == getattr(b, "co_qualname", b.co_name)
            and a.co_firstlineno == b.co_firstlineno and _start(a) == _start(b) and a.co_flags == b.co_flags
            and a.co_argcount == b.co_argcount and a.co_posonlyargcount == b.co_posonlyargcount
            and a.co_kwonlyargcount == b.co_kwonlyargcount and a.co_varnames == b.co_varnames
            and a.co_cellvars == b.co_cellvars and a.co_freevars == b.co_freevars)


def plain_code(code):
    """The code object the plain program has where it has the rewritten code: found by
    its qualified name and first line in its source file compiled plainly. None when
    the source is gone, changed, or was rewritten by another hook too (pytest's
    asserts add locals), so no plain code has the same shape."""
    top = _plain_module(code.co_filename)
    todo = [top] if top is not None else []
    while todo:
        c = todo.pop()
        if _same_shape(code, c):
            return c
        todo.extend(k for k in c.co_consts if type(k) is type(c))
    return None


# -- which modules -------------------------------------------------------------

# fnmatchcase: fnmatch's, when there are patterns.
_state = {"project": None, "patterns": (), "fnmatchcase": None, "excluded": ()}


def _norm(path):
    return os.path.normcase(os.path.realpath(path))


def _excluded_dirs():
    """The standard library, every site-packages on the path, and pyrace's own runtime.
    Not from sysconfig: importing it puts it and its _sysconfigdata in the program's
    sys.modules, and costs every race-mode process 0.1-0.3 MB. The directory of os.py is
    the standard library wherever the interpreter runs from (sysconfig's "stdlib" and
    "platstdlib" on pyenv, Debian and in a venv; in a source tree, where sysconfig names
    the install prefix, it is Lib/). Its "purelib" and "platlib" hold importable modules
    only on sys.path, where the name test below finds them."""
    dirs = {_norm(os.path.dirname(os.__file__)), _norm(os.path.dirname(_HERE))}
    for p in sys.path:
        if p and ("site-packages" in p or "dist-packages" in p):
            dirs.add(_norm(p))
    return tuple(sorted(dirs))


def _under(path, directory):
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _matches(fullname, patterns):
    for p in patterns:
        if _state["fnmatchcase"](fullname, p) or fullname.startswith(p + "."):
            return True
    return False


def should_instrument(fullname, origin):
    if not origin or not origin.endswith(".py"):
        return False
    if _matches(fullname, _state["patterns"]):
        return True
    project = _state["project"]
    if project is None:
        return False
    path = _norm(origin)
    if not _under(path, project):
        return False
    return not any(_under(path, d) for d in _state["excluded"])


# -- loading ---------------------------------------------------------------------


def _cache_path(source_path):
    root, ext = os.path.splitext(cache_from_source(source_path))
    return "%s.pyrace-%s%s" % (root, version(), ext)


def _read_cache(path, st, module_name):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    header = _cache_header(st, module_name)
    if not data.startswith(header):
        return None
    try:
        code, sites = marshal.loads(data[len(header):])
    except (EOFError, ValueError, TypeError):
        return None
    return code, sites


def _write_cache(path, st, module_name, compiled):
    if sys.dont_write_bytecode:
        return
    header = _cache_header(st, module_name)
    tmp = "%s.%d.tmp" % (path, os.getpid())
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(header + marshal.dumps(compiled))
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def load_code(fullname, path):
    """The rewritten code of the source file at path, from the cache when it is fresh."""
    st = os.stat(path)
    cache = _cache_path(path)
    compiled = _read_cache(cache, st, fullname)
    if compiled is None:
        with open(path, "rb") as f:
            source = f.read()
        compiled = _compile_unbound(source, path, fullname)
        _write_cache(cache, st, fullname, compiled)
    code, sites = compiled
    return _rewriter().bind(code, sites, display_name(fullname, path), path)


class InstrumentingLoader(SourceFileLoader):
    """The ordinary source loader, with the rewritten code in place of the plain one."""

    def get_code(self, fullname):
        return load_code(fullname, self.get_filename(fullname))


# -- pytest ----------------------------------------------------------------------
# pytest imports test modules and conftest.py through its own assertion-rewriting import
# hook, whose specs have pytest's loader, not a SourceFileLoader: spec_for leaves them
# alone, and they would never be instrumented.
# So its rewrite step is chained: pytest rewrites the asserts, then we rewrite the same
# tree. Its pyc cache is bypassed both ways: a plain pytest run must never load our
# instrumented code, and we must not load its plain code.
_PYTEST_REWRITE = "_pytest.assertion.rewrite"


def _patch_pytest_rewrite(mod):
    orig = getattr(mod, "rewrite_asserts", None)
    if orig is None or getattr(orig, "_pyrace", False):
        return

    # pytest compiles the tree itself (_rewrite_test): the sites of each tree we
    # rewrote wait here, by file, for its code to come back and get its hooks.
    pending = {}

    def rewrite_asserts(tree, source, module_path=None, config=None):
        orig(tree, source, module_path, config)
        path = str(module_path) if module_path else ""
        name = os.path.splitext(os.path.basename(path))[0]
        if should_instrument(name, path):
            _rewriter().rewrite(tree, path, name, name)
            pending[path] = (tree.pyrace_sites, name)

    rewrite_asserts._pyrace = True
    mod.rewrite_asserts = rewrite_asserts
    orig_rewrite_test = getattr(mod, "_rewrite_test", None)
    if orig_rewrite_test is not None:
        def _rewrite_test(fn, config):
            stat, co = orig_rewrite_test(fn, config)
            sites, name = pending.pop(str(fn), ((), ""))
            return stat, _rewriter().bind(co, sites, name, str(fn))

        mod._rewrite_test = _rewrite_test
    if hasattr(mod, "_read_pyc"):
        mod._read_pyc = lambda *args, **kwargs: None
    if hasattr(mod, "_write_pyc"):
        mod._write_pyc = lambda *args, **kwargs: False


class _PatchAfterExec:
    """A module's own loader, then a patch of the module it made."""

    def __init__(self, loader, patch):
        self._loader = loader
        self._patch = patch

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._patch(module)

    def __getattr__(self, name):
        return getattr(self._loader, name)


def spec_for(fullname, spec):
    """The spec another finder found for module fullname, as race mode loads it: a
    user module's loader swapped for the rewriting one."""
    if isinstance(spec.loader, SourceFileLoader) and should_instrument(fullname, spec.origin):
        spec.loader = InstrumentingLoader(fullname, spec.origin)
    elif fullname == _PYTEST_REWRITE and spec.loader is not None:
        spec.loader = _PatchAfterExec(spec.loader, _patch_pytest_rewrite)
    return spec


class InstrumentingFinder:
    """Meta path finder: asks the finders after it, and swaps the loader of a user module.
    The runtime puts its own finder (C, runtime/python/import_hook.cpp: no frame of it
    shows to a tracer) in its place and calls spec_for itself."""

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        for finder in sys.meta_path:
            if finder is cls or finder is InstrumentingFinder:
                continue
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                return spec_for(fullname, spec)
        return None

    @classmethod
    def invalidate_caches(cls):
        pass


def install(project_dir, patterns=(), meta_path=True):
    """Starts rewriting user modules imported from now on; meta_path=False leaves
    InstrumentingFinder out of sys.meta_path, for a finder of the caller's that calls
    spec_for."""
    if isinstance(patterns, str):
        patterns = [p.strip() for p in patterns.split(",")]
    _state["project"] = _norm(project_dir) if project_dir else None
    _state["patterns"] = tuple(p for p in patterns if p)
    if _state["patterns"]:
        import fnmatch
        _state["fnmatchcase"] = fnmatch.fnmatchcase
    _state["excluded"] = _excluded_dirs()
    if meta_path and InstrumentingFinder not in sys.meta_path:
        sys.meta_path.insert(0, InstrumentingFinder)
    if _PYTEST_REWRITE in sys.modules:
        _patch_pytest_rewrite(sys.modules[_PYTEST_REWRITE])


def install_for_argv(argv, patterns="", meta_path=True):
    """install() for `python -c ... script.py args` or `... -m module args`: the project
    is the script's directory, or the current directory for -m."""
    args = list(argv or [])[1:]
    if args and args[0] == "-m":
        project = os.getcwd()
    elif args and os.path.isdir(args[0]):  # `pyrace run DIR`: DIR/__main__.py and its modules
        project = os.path.realpath(args[0])
    elif args:
        project = os.path.dirname(os.path.realpath(args[0]))
    else:
        project = None
    install(project, patterns, meta_path)


# -- multiprocessing's __mp_main__ ------------------------------------------------
# A spawn or forkserver child runs the parent's main script again as __mp_main__
# (multiprocessing.spawn._fixup_main_from_path), through runpy.run_path, which
# compiles it itself: the functions a pool's workers run would be plain code.
# runpy._get_code_from_file is the one step of run_path that only makes the code, so
# the script is rewritten there and every frame of the run, and of its tracebacks, is
# runpy's own.


def _rewritten_main(fname):
    """The rewritten code of the script at fname, None when it is not source (a .pyc,
    which run_path also accepts) or does not compile (run_path's own compile says why)."""
    try:
        # io.open_code, as runpy reads it: an open_code hook sees the same call.
        with io.open_code(os.path.abspath(os.fsdecode(fname))) as f:
            source = f.read()
    except OSError:
        return None
    if source.startswith(MAGIC_NUMBER):
        return None
    try:
        return compile_source(source, os.fsdecode(fname), "__mp_main__")
    except (SyntaxError, ValueError):
        return None


def patch_runpy(mod=None):
    """Wraps runpy._get_code_from_file (once) so that the main script a multiprocessing
    child runs as __mp_main__ is rewritten as the parent's __main__ was, and the child's
    project becomes the script's directory, as the parent's was."""
    mod = mod if mod is not None else sys.modules.get("runpy")
    orig = getattr(mod, "_get_code_from_file", None)
    run_path = getattr(mod, "run_path", None)
    if orig is None or getattr(orig, "_pyrace", False) or run_path is None:
        return
    run_path_code = getattr(run_path, "__code__", None)

    def _get_code_from_file(*args):
        # (fname) since 3.13, (run_name, fname) before: run_name is run_path's
        # argument either way, in the caller's frame.
        caller = sys._getframe(1)
        if caller.f_code is run_path_code and caller.f_locals.get("run_name") == "__mp_main__":
            fname = args[-1]
            code = _rewritten_main(fname)
            if code is not None:
                _state["project"] = _norm(os.path.dirname(os.path.realpath(os.fsdecode(fname))))
                return code if len(args) == 1 else (code, fname)
        return orig(*args)

    _get_code_from_file._pyrace = True
    _get_code_from_file.__name__ = orig.__name__
    _get_code_from_file.__qualname__ = orig.__qualname__
    _get_code_from_file.__module__ = orig.__module__
    _get_code_from_file.__wrapped__ = orig
    mod._get_code_from_file = _get_code_from_file


def uninstall():
    while InstrumentingFinder in sys.meta_path:
        sys.meta_path.remove(InstrumentingFinder)


# -- running the program -----------------------------------------------------------


def _strip_until(tb, first):
    """Drops the bootstrap's frames: the traceback starts where `python script.py`
    (or -m) would start it."""
    t = tb
    while t is not None and not first(t.tb_frame.f_code):
        t = t.tb_next
    return t if t is not None else tb


def _report_uncaught(exc, first):
    # What the interpreter does for an uncaught exception, minus the bootstrap's frames.
    tb = _strip_until(exc.__traceback__, first)
    exc.__traceback__ = tb  # the default hook prints the exception's own traceback
    sys.excepthook(type(exc), exc, tb)
    raise SystemExit(1)


def run_path(path, argv=None):
    """Runs a script as __main__, rewritten, like `python path args`."""
    import types
    path = os.path.abspath(path)
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = builtins
    main.__loader__ = None
    main.__spec__ = None
    main.__cached__ = None
    sys.modules["__main__"] = main
    sys.argv[:] = list(argv) if argv is not None else [path]
    sys.path[0:0] = [] if sys.path and sys.path[0] == os.path.dirname(path) else [os.path.dirname(path)]
    with open(path, "rb") as f:
        source = f.read()
    code = compile_source(source, path, "__main__")
    try:
        exec(code, main.__dict__)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as exc:
        _report_uncaught(exc, lambda code: code.co_filename == path)


def run_module(module, argv=None):
    """Runs a module as __main__, like `python -m module args`."""
    import runpy
    sys.argv[:] = [module] + list(argv or [])[1:] if argv is not None else [module]
    try:
        runpy._run_module_as_main(module, alter_argv=True)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as exc:
        _report_uncaught(exc, lambda code: code.co_name == "_run_module_as_main")
