"""The AST rewriter and import hook, with the reference hooks standing in for the
runtime (same contract, accesses logged to a list). Run: python3 rewriter_test.py"""

import ast
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import traceback
import types
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "instrument", "python"))

import _pyrace_instrument as inst  # noqa: E402
from _pyrace_instrument import reference_hooks, rewriter as rw  # noqa: E402

LOG = reference_hooks.Log()
sys.modules["_pyrace"] = types.SimpleNamespace(
    access_hooks=lambda *a: reference_hooks.access_hooks(*a, log=LOG))


def run_rewritten(src, name="__main__", filename="/tmp/prog.py"):
    LOG.records.clear()
    code = inst.compile_source(textwrap.dedent(src), filename, name)
    ns = {"__name__": name}
    exec(code, ns)
    return ns


def run_plain(src):
    ns = {"__name__": "__main__"}
    exec(compile(textwrap.dedent(src), "/tmp/prog.py", "exec"), ns)
    return ns


def unparse(tree):
    """The rewritten source, each hook call written with the hook's name."""
    text = re.sub(r"\((\d+) if True else \(0\)\.\w+\)", r"\1", ast.unparse(tree))
    for short, placeholder in rw.PLACEHOLDERS.items():
        text = text.replace("(%r if True else None)" % placeholder, rw.hook_name(short))
    return text


def kinds(line=None):
    return [(r[0], r[2] or r[3]) for r in LOG.records if line is None or r[1] == line]


class Semantics(unittest.TestCase):
    PROGRAMS = [
        """
        class A:
            def __init__(self): self.x = 1; self.d = {'a': [1, 2]}
        a = A()
        a.x += 2; a.d['a'][0] += 5; a.d['b'] = a.d.get('b', 0) + 1
        del a.d['b']
        out = (a.x, a.d, 'a' in a.d, 'z' not in a.d, len(a.d), sorted(a.d))
        """,
        """
        g = [0] * 4
        def f(i):
            global g
            g[i] += i
            g = g + [i]
            return g[-1]
        out = [f(i) for i in range(3)], g[1:3], g[::-1]
        """,
        """
        def outer():
            n = 0
            def inc(k):
                nonlocal n
                n += k
                return n
            inc(2); inc(3)
            n = n * 10
            return n, inc(1)
        out = outer()
        """,
        """
        import collections
        c = collections.Counter('hello'); c['l'] += 1
        s = set(); s.add(1); s.discard(2)
        d = {}; d.setdefault('k', []).append(1); v = d.pop('k')
        out = (c['l'], s, v, d, [x * 2 for x in v if x in s])
        """,
        """
        class P:
            __slots__ = ('a',)
        p = P(); p.a = 3; p.a **= 2
        t = {}
        t[1, 2] = 'tuple key'
        out = (p.a, t[1, 2], t.get((1, 2)))
        """,
        """
        match_val = {'k': 1}
        def m(v):
            match v:
                case {'k': 1}: return 'one'
                case _: return 'other'
        out = m(match_val), m({})
        """,
    ]

    def test_rewritten_programs_compute_the_same(self):
        for src in self.PROGRAMS:
            with self.subTest(src=src.strip().splitlines()[0]):
                self.assertEqual(run_rewritten(src)["out"], run_plain(src)["out"])

    def test_augmented_assignment_evaluates_its_target_once(self):
        ns = run_rewritten("""
        calls = []
        class O: pass
        o = O(); o.v = 1
        box = {'o': o, 'l': [10]}
        def get(k):
            calls.append(k)
            return box[k]
        get('o').v += 1
        get('l')[0] += 1
        get('l')[len(calls) - 3] *= 3
        out = (o.v, box['l'], calls)
        """)
        self.assertEqual(ns["out"], (2, [33], ["o", "l", "l"]))

    def test_exceptions_and_traceback_lines_are_unchanged(self):
        src = """
        class A: pass
        def f(a):
            return a.missing
        def g(d):
            return d['nope']
        """
        ns = run_rewritten(src)
        for fn, arg, exc, line in ((ns["f"], ns["A"](), AttributeError, 4), (ns["g"], {}, KeyError, 6)):
            try:
                fn(arg)
                self.fail("no exception")
            except exc as e:
                # The reference hooks are Python and add a frame; the runtime's do not.
                frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == "/tmp/prog.py"]
                self.assertEqual(frames[-1].lineno, line)
        with self.assertRaises(AttributeError) as cm:
            ns["f"](ns["A"]())
        self.assertIn("'A' object has no attribute 'missing'", str(cm.exception))

    def test_syntax_errors_are_pythons_own(self):
        with self.assertRaises(SyntaxError) as cm:
            inst.compile_source(b"def f(:\n  pass\n", "/tmp/bad.py", "bad")
        self.assertEqual(cm.exception.lineno, 1)
        self.assertEqual(cm.exception.filename, "/tmp/bad.py")

    def test_future_imports_and_docstring_stay_first(self):
        ns = run_rewritten('''"""doc"""
from __future__ import annotations
x = 1
def f() -> Undefined:
    return x
out = (__doc__, f())
''')
        self.assertEqual(ns["out"], ("doc", 1))

    def test_names_are_not_mangled_in_class_bodies(self):
        ns = run_rewritten("""
        class K:
            def __init__(self): self.__private = 1
            def get(self): return self.__private
        out = K().get()
        """)
        self.assertEqual(ns["out"], 1)


class Sites(unittest.TestCase):
    def test_counter_update_is_one_read_modify_write_of_the_global(self):
        run_rewritten("""
        g_num = 0
        def work():
            global g_num
            for i in range(3):
                g_num += 1
        work()
        """)
        self.assertEqual(kinds(6), [(rw.GLOBAL_RMW, "g_num")] * 3)

    def test_attribute_and_item_accesses(self):
        run_rewritten("""
        class Account:
            def __init__(self):
                self.balance = 0
                self.log = {}
            def deposit(self, n):
                self.balance += n
                if n not in self.log:
                    self.log[n] = 1
        Account().deposit(5)
        """)
        self.assertEqual(kinds(4), [(rw.ATTR_WRITE, "balance")])
        self.assertEqual(kinds(7), [(rw.ATTR_RMW, "balance")])
        # Reads in an if test are checks.
        self.assertEqual(kinds(8), [(rw.ATTR_CHECK, "log"), (rw.NOT_CONTAINS, "Account.log")])
        self.assertEqual(kinds(9), [(rw.ATTR_READ, "log"), (rw.ITEM_WRITE, "Account.log")])

    def test_a_locals_attribute_store_is_recorded_by_its_site_probe(self):
        # `obj in probe` for a function's own local; a module's or a class body's name is
        # looked up in a dict or a namespace the program may own, and the probe's
        # operand is evaluated with one thread too, so those keep the call, which the
        # single-thread test skips.
        src = """
        class O:
            pass
        def bump(o):
            o.v += 1
        def bump_class():
            O.n += 1
        o = O(); o.v = 1; O.n = 0
        bump(o); bump_class()
        o.v += 1
        out = o.v, O.n
        """
        tree = rw.rewrite(ast.parse(textwrap.dedent(src)), "/tmp/prog.py", "m", "m")
        text = unparse(tree)
        self.assertRegex(text, r"o in \('\\x00__pyrace_ra__#\d+' if True else None\)")
        self.assertIn("__pyrace_ra__(o, ", text)
        self.assertIn("__pyrace_ra__(O, ", text)
        self.assertNotRegex(text, r"O in \(")
        ns = run_rewritten(src)
        self.assertEqual(ns["out"], (3, 1))
        self.assertEqual(kinds(5), [(rw.ATTR_RMW, "v")])
        self.assertEqual(kinds(7), [(rw.ATTR_RMW, "n")])
        self.assertEqual(kinds(10), [(rw.ATTR_RMW, "v")])

    def test_a_locals_item_store_and_an_entry_update_reach_their_hooks_by_site_probes(self):
        # ri's record and ai's update are a slot of the site's probe, not a call; ai gives
        # the container back, so the entry's update is the interpreter's own.
        src = """
        class S:
            def __init__(self):
                self.by_key = {'a': 0}
        def add(s, d, k):
            d[k] += 1
            s.by_key[k] += 2
        s = S(); d = {'a': 1}
        add(s, d, 'a')
        out = d, s.by_key
        """
        text = unparse(rw.rewrite(ast.parse(textwrap.dedent(src)), "/tmp/prog.py", "m", "m"))
        self.assertRegex(text, r"\(d, k\) in \('\\x00__pyrace_ri__#\d+' if True else None\)")
        self.assertRegex(text, r"\('\\x00__pyrace_ai__#\d+#\d+' if True else None\)\[s.by_key, k, s\]\[k\] \+= 2")
        self.assertNotIn("__pyrace_ai__(", text)
        ns = run_rewritten(src)
        self.assertEqual(ns["out"], ({'a': 2}, {'a': 2}))
        self.assertEqual(kinds(6), [(rw.ITEM_RMW, "d")])
        self.assertEqual(kinds(7), [(rw.ATTR_READ, "by_key"), (rw.ITEM_RMW, "s.by_key")])

    def test_stores_reach_their_hooks_by_site_probes(self):
        # sa and si are a slot of the site's probe, `probe[value, obj]` and
        # `probe[value, obj, key]`, not a call; a failing store is reported at its
        # target's line, as plainly.
        src = """
        class O:
            __slots__ = ("v",)
        def store(o, d, k, v):
            o.v = v
            d[k] = v
        o = O(); d = {}
        store(o, d, 'k', [1])
        try:
            o.w = (1,
                   2)
        except AttributeError as e:
            line = e.__traceback__.tb_lineno
        out = o.v, d
        """
        text = unparse(rw.rewrite(ast.parse(textwrap.dedent(src)), "/tmp/prog.py", "m", "m"))
        self.assertRegex(text, r"\('\\x00__pyrace_sa__#\d+' if True else None\)\[v, o if True else 0 \.v\]")
        self.assertRegex(text, r"\('\\x00__pyrace_si__#\d+' if True else None\)\[v, d, k\]")
        self.assertNotIn("__pyrace_sa__(", text)
        self.assertNotIn("__pyrace_si__(", text)
        ns = run_rewritten(src)
        self.assertEqual(ns["out"], ([1], {'k': [1]}))
        self.assertEqual(ns["line"], run_plain(src)["line"])
        self.assertEqual(kinds(5), [(rw.ATTR_WRITE, "v")])
        self.assertEqual(kinds(6), [(rw.ITEM_WRITE, "d")])

    def test_reads_of_complex_operands_reach_their_hooks_by_site_probes(self):
        src = """
        class O:
            pass
        o = O(); o.p = O(); o.p.q = 5; o.d = {'k': 7}
        def read(o, k):
            return o.p.q, o.d[k * 1]
        out = read(o, 'k')
        """
        text = unparse(rw.rewrite(ast.parse(textwrap.dedent(src)), "/tmp/prog.py", "m", "m"))
        self.assertRegex(text, r"__pyrace_ga__#\d+' if True else None\)\[\(o\.p if ")
        self.assertRegex(text, r"__pyrace_gi__#\d+' if True else None\)\[o\.d if .*, k \* 1\]")
        self.assertNotIn("__pyrace_ga__(", text)
        self.assertNotIn("__pyrace_gi__(", text)
        self.assertEqual(run_rewritten(src)["out"], (5, 7))
        self.assertEqual(kinds(6), [(rw.ATTR_READ, "p"), (rw.ATTR_READ, "q"), (rw.ATTR_READ, "d"),
                                    (rw.ITEM_READ, "o.d")])

    def test_updates_through_an_attribute_chain_record_the_update(self):
        run_rewritten("""
        class Stats:
            def __init__(self):
                self.by_key = {'a': 0}
                self.inner = Stats.__new__(Stats) if False else type('I', (), {})()
                self.inner.n = 0
            def add(self, key):
                self.by_key[key] += 1
                self.inner.n += 2
        Stats().add('a')
        """)
        self.assertEqual(kinds(8), [(rw.ATTR_READ, "by_key"), (rw.ITEM_RMW, "Stats.by_key")])
        self.assertEqual(kinds(9), [(rw.ATTR_READ, "inner"), (rw.ATTR_RMW, "n")])

    def test_a_failing_entry_update_raises_as_plainly_and_is_recorded_as_attempted(self):
        # `self.d[k] += 1` keeps the interpreter's subscript on the container: a missing
        # key raises the same KeyError at the same place, each operand read once but the
        # key; the update is recorded as the statement starts.
        src = """
        import traceback
        class S:
            def __init__(self):
                self.d = {}
            def bump(self, k):
                self.d[k] += 1
        s = S()
        try:
            s.bump('x')
        except KeyError as e:
            tb = traceback.extract_tb(e.__traceback__)[-1]
            out = repr(e), tb.lineno, getattr(tb, "colno", None), getattr(tb, "end_colno", None), s.d
        """
        ns = run_rewritten(src)
        self.assertEqual(ns["out"], run_plain(src)["out"])
        self.assertEqual(ns["out"][:2], ("KeyError('x')", 7))
        self.assertEqual(kinds(7), [(rw.ATTR_READ, "d"), (rw.ITEM_RMW, "S.d")])

    def test_method_call_is_recorded_after_arguments_that_may_synchronize(self):
        import ast
        tree = ast.parse(textwrap.dedent("""
        def f(out, q, x):
            out.append(x)
            out.append(q.get())
        """))
        text = unparse(rw.rewrite(tree, "/tmp/prog.py", "m", "m"))
        # A plain argument: the receiver is recorded, the call stays the interpreter's.
        self.assertIn("__pyrace_c__(out, ", text)
        self.assertIn(").append(x)", text)
        # q.get() may be the hand-off that orders the append: record after it runs.
        self.assertIn("__pyrace_mc__(out.append, ", text)
        # So may a property or a __getitem__ (a thread-safe box, a locked mapping).
        for arg in ("box.value", "cache[k]", "f'{x}'"):
            tree = ast.parse("def g(out, box, cache, k, x):\n    out.append(%s)\n" % arg)
            text = unparse(rw.rewrite(tree, "/tmp/prog.py", "m", "m"))
            self.assertIn("__pyrace_mc__(out.append, ", text, arg)
        tree = ast.parse("def g(out, i):\n    out.append('even' if i % 2 == 0 else 'odd')\n")
        self.assertIn("__pyrace_c__(out, ", unparse(rw.rewrite(tree, "/tmp/prog.py", "m", "m")))

    def test_container_methods_iteration_and_len(self):
        run_rewritten("""
        items = []
        def produce(): items.append(1)
        def consume():
            n = len(items)
            for x in items: pass
            items.clear()
            return n
        produce(); consume()
        """)
        self.assertEqual(kinds(3), [(rw.GLOBAL_READ, "items"), (rw.METHOD_WRITE, "append")])
        self.assertEqual(kinds(5), [(rw.GLOBAL_READ, "items"), (rw.CONTAINER_READ, "items")])
        self.assertEqual(kinds(6), [(rw.GLOBAL_READ, "items"), (rw.CONTAINER_READ, "items")])
        self.assertEqual(kinds(7), [(rw.GLOBAL_READ, "items"), (rw.METHOD_WRITE, "clear")])

    def test_truth_tests_read_the_shape_and_their_reads_are_checks(self):
        run_rewritten("""
        pending = [1, 2]
        class Client:
            conn = None
        c = Client()
        def drain():
            while pending:
                pending.pop()
            if not (c.conn is None or pending):
                pass
            return 1 if pending else 0
        drain()
        """)
        # `while pending:` -> a check of the name, then of the list's shape (per test).
        self.assertEqual(kinds(7)[:2], [(rw.GLOBAL_CHECK, "pending"), (rw.TRUTH_TEST, "pending")])
        # `or` stopped at its first operand, which was True.
        self.assertEqual(kinds(9), [(rw.GLOBAL_CHECK, "c"), (rw.ATTR_CHECK, "conn")])
        self.assertEqual(kinds(11), [(rw.GLOBAL_CHECK, "pending"), (rw.TRUTH_TEST, "pending")])

    def test_a_locals_truth_test_reads_the_shape(self):
        run_rewritten("""
        shared = [1, 2]
        def drain(items):
            pending = items
            while pending:
                pending.pop()
            return 1 if pending else 0
        drain(shared)
        """)
        # `while pending:` where pending is a local alias of a shared list: a read of
        # its shape per test (three here), nothing else.
        self.assertEqual(kinds(5), [(rw.TRUTH_TEST, "pending")] * 3)
        self.assertEqual(kinds(7), [(rw.TRUTH_TEST, "pending")])

    def test_pops_are_recorded_after_the_call(self):
        import ast
        # A deque's pop receives a hand-off: the hook must run after the call.
        for call in ("q.pop()", "q.popleft()", "q.pop(0)"):
            tree = ast.parse("def f(q):\n    return %s\n" % call)
            text = ast.unparse(rw.rewrite(tree, "/tmp/prog.py", "m", "m"))
            method = call[:call.index("(")]
            self.assertIn("__pyrace_mc__' if True else None)(%s, " % method, text, call)
        tree = ast.parse("def f(q, x):\n    q.appendleft(x)\n")
        self.assertIn("__pyrace_c__' if True else None)(q, ", ast.unparse(rw.rewrite(tree, "/tmp/prog.py", "m", "m")))

    def test_locals_imports_and_method_lookups_are_not_accesses(self):
        run_rewritten("""
        import threading
        def f():
            lock = threading.Lock()
            x = [1]
            with lock:
                x = x + x
            return x
        f()
        """)
        self.assertEqual(kinds(4), [])
        self.assertEqual(kinds(7), [])

    def test_closure_cells_written_by_inner_functions_are_watched(self):
        run_rewritten("""
        def outer():
            done = False
            def worker():
                nonlocal done
                done = True
            worker()
            return done
        outer()
        """)
        self.assertEqual(kinds(6), [(rw.CELL_WRITE, "done")])
        self.assertEqual(kinds(8), [(rw.CELL_READ, "done")])


    def test_a_nested_functions_own_names_are_not_the_enclosing_functions_cells(self):
        # h's parameter self, f's comprehension variable and the class body's own x
        # name other variables: only `shared` is a cell of outer (read by h, rebound).
        tree = ast.parse(textwrap.dedent("""
        def outer(self, items):
            shared = 0
            x = 1
            self.z = 5
            def h(self, a):
                self.u = a
                return shared
            f = lambda: [x for x in items]
            class C:
                x = 2
            shared = 1
            x = 3
            self.z = 6
            return h, f, C
        """))
        text = unparse(rw.rewrite(tree, "/tmp/prog.py", "m", "m"))
        self.assertIn("__pyrace_nw__", text)  # shared = 1
        self.assertNotIn("__pyrace_nr__(self", text)
        self.assertNotIn("__pyrace_nr__(x", text)
        self.assertIn("self.z = 6", text)  # the plain store on the single-thread path

class NothingOfItsOwn(unittest.TestCase):
    """The rewrite adds no name, local, cell or global the program could see."""

    SRC = """
    counter = 0
    class C:
        __n = 0
        def m(self, k):
            count = 0
            def inner():
                nonlocal count
                count += 1
                self.__d[k] += C.__n
                self.x.y += 1
                return count
            self.__d = {k: 1}
            self.x = type("X", (), {"y": 1})()
            inner()
            return count, self.__d, locals()
    """

    def codes(self, code):
        yield code
        for c in code.co_consts:
            if isinstance(c, types.CodeType):
                yield from self.codes(c)

    def test_no_new_names_in_any_code_object(self):
        src = textwrap.dedent(self.SRC)
        plain = {c.co_qualname if hasattr(c, "co_qualname") else c.co_name: c
                 for c in self.codes(compile(src, "/tmp/prog.py", "exec"))}
        rewritten = inst.compile_source(src, "/tmp/prog.py", "m")
        for c in self.codes(rewritten):
            p = plain[c.co_qualname if hasattr(c, "co_qualname") else c.co_name]
            for field in ("co_varnames", "co_cellvars", "co_freevars", "co_names", "co_argcount",
                          "co_firstlineno", "co_flags"):
                self.assertEqual(getattr(c, field), getattr(p, field), (c.co_name, field))

    def test_module_globals_and_locals_are_the_programs(self):
        ns = run_rewritten(textwrap.dedent(self.SRC) + "out = C().m('k')\n")
        self.assertEqual(sorted(k for k in ns if not k.startswith("__")), ["C", "counter", "out"])
        count, d, loc = ns["out"]
        self.assertEqual((count, d), (1, {"k": 1}))
        self.assertEqual(sorted(loc), ["count", "inner", "k", "self"])


class Mangling(unittest.TestCase):
    def test_private_names_are_mangled_as_the_compiler_does(self):
        for private, name, want in [("C", "__x", "_C__x"), ("_C", "__x", "_C__x"), ("__C_", "__x", "_C___x"),
                                    ("C", "__x__", "__x__"), ("C", "_x", "_x"), ("___", "__x", "__x"),
                                    (None, "__x", "__x"), ("C", "__a.b", "__a.b")]:
            self.assertEqual(rw.mangle(private, name), want, (private, name))

    def test_every_context_inside_a_class(self):
        run_rewritten("""
        class Outer:
            def m(self):
                self.__a = 1
                self.__a += 1
                self.__d = {}
                self.__d["k"] = 2
                f = lambda: self.__a
                g = [self.__d for _ in range(1)]
                del self.__a
                class Inner:
                    def n(s): s.__b = 3
                Inner().n()
        Outer().m()
        """)
        names = {r[2] for r in LOG.records if r[0] in (rw.ATTR_READ, rw.ATTR_WRITE, rw.ATTR_RMW, rw.ATTR_DEL)}
        self.assertEqual(names, {"_Outer__a", "_Outer__d", "_Inner__b"})


class ImportHook(unittest.TestCase):
    def test_project_modules_are_rewritten_and_cached_under_their_own_name(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "shared_mod.py"), "w") as f:
                f.write("counter = 0\ndef bump():\n    global counter\n    counter += 1\n")
            inst.install(d)
            sys.path.insert(0, d)
            saved, sys.dont_write_bytecode = sys.dont_write_bytecode, False
            try:
                import shared_mod
                self.assertIsInstance(shared_mod.__loader__, inst.InstrumentingLoader)
                LOG.records.clear()
                shared_mod.bump()
                self.assertEqual(kinds(4), [(rw.GLOBAL_RMW, "counter")])
                cached = os.listdir(os.path.join(d, "__pycache__"))
                self.assertTrue(any(".pyrace-" + inst.version() in c for c in cached), cached)
                self.assertFalse(any(c.endswith(sys.implementation.cache_tag + ".pyc") for c in cached), cached)
                import json
                self.assertNotIsInstance(json.__loader__, inst.InstrumentingLoader)
            finally:
                sys.path.remove(d)
                sys.dont_write_bytecode = saved
                inst.uninstall()
                sys.modules.pop("shared_mod", None)

    def test_the_rewriter_is_loaded_by_the_first_rewrite(self):
        # Most followed children import nothing of the project: installing the hook loads
        # neither the rewriter nor ast. The first rewrite loads it from its file, also once
        # the program has taken the package out of sys.modules and its directory off
        # sys.path (what the runtime's bootstrap does to the directory).
        prog = textwrap.dedent("""
            import sys
            sys.path.insert(0, %r)
            import _pyrace_instrument as i
            i.install_for_argv(["-c"], "", meta_path=False)
            heavy = ("ast", "fnmatch", "importlib.util", "_pyrace_instrument.rewriter")
            print([m for m in heavy if m in sys.modules])
            del sys.path[0]
            for m in [m for m in sys.modules if m.startswith("_pyrace_instrument")]:
                del sys.modules[m]
            exec(i.compile_source(b"pass\\n", "/tmp/prog.py", "__main__"), {"__name__": "__main__"})
            print([m for m in heavy if m in sys.modules])
            """) % os.path.join(HERE, "..", "..", "..", "instrument", "python")
        p = subprocess.run([sys.executable, "-S", "-c", prog], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "[]\n['ast', '_pyrace_instrument.rewriter']\n")

    def test_patterns_select_stdlib_modules(self):
        self.assertFalse(inst.should_instrument("json.decoder", __import__("json.decoder").decoder.__file__))
        inst.install(None, "json.*")
        try:
            import json.decoder
            self.assertTrue(inst.should_instrument("json.decoder", json.decoder.__file__))
        finally:
            inst.uninstall()
            inst.install(None, "")
            inst.uninstall()


class RunPath(unittest.TestCase):
    def test_script_runs_as_main_with_argv_and_exit_code(self):
        with tempfile.TemporaryDirectory() as d:
            script = os.path.join(d, "s.py")
            with open(script, "w") as f:
                f.write("import sys\nprint(__name__, sys.argv[1:])\nraise SystemExit(3)\n")
            boot = ("import sys, types; sys.path.insert(0, %r); "
                    "sys.modules['_pyrace'] = types.SimpleNamespace(access_hooks=lambda *a: "
                    "__import__('_pyrace_instrument.reference_hooks').reference_hooks.access_hooks(*a)); "
                    "import _pyrace_instrument as i; i.run_path(%r, [%r, 'x'])"
                    % (os.path.join(HERE, "..", "..", "..", "instrument", "python"), script, script))
            p = subprocess.run([sys.executable, "-c", boot], capture_output=True, text=True)
            self.assertEqual(p.returncode, 3)
            self.assertEqual(p.stdout, "__main__ ['x']\n")

    def test_uncaught_exception_traceback_starts_at_the_script(self):
        with tempfile.TemporaryDirectory() as d:
            script = os.path.join(d, "s.py")
            with open(script, "w") as f:
                f.write("def f():\n    raise ValueError('boom')\nf()\n")
            boot = ("import sys, types; sys.path.insert(0, %r); "
                    "sys.modules['_pyrace'] = types.SimpleNamespace(access_hooks=None); "
                    "import _pyrace_instrument as i; i.run_path(%r, [%r])"
                    % (os.path.join(HERE, "..", "..", "..", "instrument", "python"), script, script))
            p = subprocess.run([sys.executable, "-c", boot], capture_output=True, text=True)
            self.assertEqual(p.returncode, 1)
            lines = p.stderr.splitlines()
            self.assertEqual(lines[0], "Traceback (most recent call last):")
            self.assertIn('s.py", line 3, in <module>', lines[1])
            self.assertEqual(lines[-1], "ValueError: boom")



def nested_codes(code):
    yield code
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            yield from nested_codes(c)


class PlainTwin(unittest.TestCase):
    """plain_code: the plain program's code where it has rewritten code (what marshal and
    _interpreters are given in place of code that holds hooks)."""

    SOURCE = textwrap.dedent("""\
        import sys
        class A:
            def m(self, k):
                def inner():
                    return self.d[k]
                return inner
        pair = (lambda: sys.argv, lambda: sys.path)
        squares = [x * x for x in range(3)]
        """)

    def write(self, d, source):
        path = os.path.join(d, "m.py")
        with open(path, "w") as f:
            f.write(source)
        return path

    def test_every_rewritten_code_object_has_the_plain_one_in_its_place(self):
        with tempfile.TemporaryDirectory() as d:
            path = self.write(d, self.SOURCE)
            rewritten = list(nested_codes(inst.compile_source(self.SOURCE, path, "m")))
            plain = list(nested_codes(compile(self.SOURCE, path, "exec", dont_inherit=True)))
            self.assertEqual(len(rewritten), len(plain))
            changed = {r.co_name for r, p in zip(rewritten, plain) if r.co_code != p.co_code}
            self.assertLessEqual({"<module>", "inner"}, changed)
            for r, p in zip(rewritten, plain):
                self.assertEqual(inst.plain_code(r).co_code, p.co_code, r.co_name)
                self.assertEqual(inst.plain_code(r).co_consts, p.co_consts, r.co_name)

    def test_a_changed_or_missing_source_has_none(self):
        with tempfile.TemporaryDirectory() as d:
            path = self.write(d, self.SOURCE)
            rewritten = {c.co_name: c for c in nested_codes(inst.compile_source(self.SOURCE, path, "m"))}
            self.write(d, "\n" + self.SOURCE)  # everything a line further down
            self.assertIsNone(inst.plain_code(rewritten["inner"]))
            self.write(d, self.SOURCE.replace("return self.d[k]", "x = 1\n            return self.d[k]"))
            self.assertIsNone(inst.plain_code(rewritten["inner"]))  # another local
            self.assertIsNotNone(inst.plain_code(rewritten["m"]))
            os.unlink(path)
            self.assertIsNone(inst.plain_code(rewritten["m"]))

if __name__ == "__main__":
    unittest.main()
