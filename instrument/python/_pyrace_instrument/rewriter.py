"""The AST rewriter: makes a user module's shared-state accesses call the runtime.

Every rewritten access calls one hook of the C++ runtime (runtime/python/access_hooks.cpp)
with the object, the key when there is one, and a site number: an index into the
module's site table, a tuple built here and registered by bind() before the module
runs. The site says what the access is (global/attribute/item, read, write or
read-modify-write), its line, and how to name the location in a report.

What the rewritten code keeps exactly (docs/races.md, "The rewritten program does what
the plain one does"): Python's scoping rules (private-name mangling included), the
evaluation order and count of every user-visible operation, the exceptions and their
messages, positions down to the column, and the program's names: the rewrite binds no
name, local, cell or global of its own.
"""

import ast
import types

# Site kinds; the numbers are the runtime's (access_hooks.cpp, enum class SiteKind).
GLOBAL_READ, GLOBAL_WRITE, GLOBAL_RMW = 0, 1, 2
ATTR_READ, ATTR_WRITE, ATTR_RMW, ATTR_DEL = 3, 4, 5, 6
ITEM_READ, ITEM_WRITE, ITEM_RMW, ITEM_DEL = 7, 8, 9, 10
CONTAINER_READ, CONTAINER_WRITE = 11, 12
METHOD_READ, METHOD_WRITE, METHOD_KEY_READ, METHOD_KEY_WRITE = 13, 14, 15, 16
CONTAINS, NOT_CONTAINS = 17, 18
CELL_READ, CELL_WRITE, CELL_RMW = 19, 20, 21
# `if xs:`, `while pending:`: the truth value of a builtin container is its size, a
# read of its shape (docs/races.md) that decides what the code does next.
TRUTH_TEST = 22
# Reads in an if/while/ternary test (`if self.conn is None:`) decide what the code does
# next: checks, the first half of a check-then-act, like `k in d`.
GLOBAL_CHECK, ATTR_CHECK, ITEM_CHECK, CELL_CHECK = 23, 24, 25, 26
# `len(pool) < limit` in a test checks the shape as `if pool:` does.
_CHECK_OF = {GLOBAL_READ: GLOBAL_CHECK, ATTR_READ: ATTR_CHECK, ITEM_READ: ITEM_CHECK, CELL_READ: CELL_CHECK,
             CONTAINER_READ: TRUTH_TEST}

# The hooks a rewritten module uses, in the order access_hooks() returns them.
# "st" and "cp" are not calls: the single-thread probe (see _while_recording) and the
# container probe (see _container).
HOOKS = ("gr", "gw", "ga", "sa", "da", "ra", "gi", "si", "di", "ri", "c", "mc", "in", "nr", "nw", "aa", "ai",
         "st", "cp")

# Expressions whose value is an object made right there, which no other thread can
# have seen yet: displays, comprehensions, literals.
FRESH_OBJECTS = (ast.Constant, ast.ListComp, ast.GeneratorExp, ast.Tuple, ast.List, ast.SetComp, ast.DictComp,
                 ast.Dict, ast.Set, ast.JoinedStr)


def hook_name(short):
    return "__pyrace_%s__" % short


# How rewritten code reaches a hook: it calls a constant, a placeholder string that
# bind() replaces, in the compiled code's constants, by the module's hook object. A
# constant, not a name: the program's globals(), vars(module), locals(), f_locals
# and its code's co_names (inspect.getclosurevars) never see pyrace, and a function
# copied with other globals still finds its hooks. The NUL keeps a program's own
# strings from ever matching.
PLACEHOLDERS = {short: "\x00" + hook_name(short) for short in HOOKS}


# Methods of builtin containers. Writers change the container; the keyed ones touch
# one dict key (their first argument), the rest the whole container.
WRITE_METHODS = frozenset((
    "append", "extend", "insert", "remove", "clear", "update", "add", "discard", "sort",
    "reverse", "popitem", "difference_update", "intersection_update",
    "symmetric_difference_update", "__setitem__", "__delitem__", "__iadd__",
    "appendleft", "extendleft",
))
KEY_WRITE_METHODS = frozenset(("pop", "setdefault"))
# Taking an element out of a thread-safe container (deque) receives a hand-off: the hook
# must run after the call, so these never take the c(obj).method() fast path.
RECEIVING_METHODS = frozenset(("pop", "popleft"))
READ_METHODS = frozenset(("keys", "values", "items", "copy", "index", "count", "__iter__", "__len__"))
KEY_READ_METHODS = frozenset(("get", "__contains__", "__getitem__"))

# Builtins whose first argument is iterated or measured: reads of the whole container.
READING_BUILTINS = frozenset((
    "len", "list", "tuple", "sorted", "sum", "min", "max", "any", "all", "enumerate",
    "reversed", "iter", "set", "frozenset", "dict",
))



def _loc(new, old):
    return ast.copy_location(new, old)


def _call(short, args, old):
    # `(placeholder if True else None)(...)` compiles to LOAD_CONST placeholder and the
    # call, on 3.10 to 3.13: the compiler drops the constant test. Calling the bare
    # constant would be the same code, with a SyntaxWarning ("'str' object is not
    # callable") at compile time.
    func = _loc(ast.IfExp(test=_const(True, old), body=_const(PLACEHOLDERS[short], old),
                          orelse=_const(None, old)), old)
    return _loc(ast.Call(func=func, args=args, keywords=[]), old)


def _probe(old, short="st"):
    return _loc(ast.IfExp(test=_const(True, old), body=_const(PLACEHOLDERS[short], old),
                          orelse=_const(None, old)), old)


def _single_thread(old, negate=False):
    """`st in st` (`st not in st`): true while the runtime records no access (the program
    has one thread). It compiles to two LOAD_CONSTs and CONTAINS_OP, whose answer comes
    from the probe's sq_contains slot: no call, no argument decoding. A constant truth
    test would be folded by the compiler, and a name would be the program's."""
    op = ast.NotIn() if negate else ast.In()
    return _loc(ast.Compare(left=_probe(old), ops=[op], comparators=[_probe(old)]), old)


def _while_recording(hooked, plain, old):
    """`(plain if st in st else hooked)`: the interpreter's own (specialized) operation
    while the program has one thread, the hook once accesses are recorded. Decided per
    access as it starts, in every running frame alike (a main() that starts a thread and
    then touches shared state records from that moment on). Only for accesses whose
    operands are names and constants (_is_simple), whose evaluation runs no code: a
    thread started between the decision and the access would otherwise go unseen."""
    choice = _loc(ast.IfExp(test=_single_thread(old), body=plain, orelse=hooked), old)
    choice.pyrace_choice = True  # see Rewriter.visit_Expr
    return choice


def _plain_or_hooked(target, value, call, old):
    """`target = value` while the program has one thread, else the hook's store (its
    site probe, _store_probe). The test is at the value's position: the value is the
    statement's first line event plainly (see _store_probe)."""
    store = _loc(ast.Assign(targets=[target], value=value), old)
    return _loc(ast.If(test=_single_thread(value), body=[store], orelse=[_expr_stmt(call, old)]), old)


def _record_stmt(call, old):
    """A statement that only records (ra, ri, gw, nw): skipped while the program has one
    thread."""
    return _loc(ast.If(test=_single_thread(old, negate=True), body=[_expr_stmt(call, old)], orelse=[]), old)


def _site_probe(short, sites, old):
    """The placeholder of hook `short`'s probe for the given sites: the hook's own and
    "#k" per site, which bind() replaces by the probe object (access_hooks.cpp,
    SiteProbe)."""
    name = PLACEHOLDERS[short] + "".join("#%d" % k for k in sites)
    return _loc(ast.IfExp(test=_const(True, old), body=_const(name, old), orelse=_const(None, old)), old)


def _probe_subscript(short, sites, operands, old, probe_at=None):
    """`probe[operand]` or `probe[a, b, ...]`: what hook `short` gives for its sites from
    its site probe's mp_subscript (ga, gi: the value; aa, ai: the update target; sa, si:
    the store, None), the operands evaluated in the hook call's order. A subscript, not a
    call: inside `with lock: self.d[k] += v` a call is a point where the thread may hand
    the GIL over while it holds the lock, where plainly there is none, and the other
    threads then queue on the lock. probe_at: where the probe is loaded (old's place by
    default)."""
    index = operands[0] if len(operands) == 1 else _loc(ast.Tuple(elts=operands, ctx=ast.Load()), old)
    return _loc(ast.Subscript(value=_site_probe(short, sites, probe_at or old), slice=index, ctx=ast.Load()), old)


def _named(obj, attr, old):
    """`(obj if True else (0).attr)`: obj, with attr kept in co_names after obj's own
    names, where it is plainly, for a hook that gets the attribute from its site (see
    _site_arg)."""
    dead = _loc(ast.Attribute(value=_const(0, old), attr=attr, ctx=ast.Load()), old)
    return _loc(ast.IfExp(test=_const(True, old), body=obj, orelse=dead), obj)


def _record_probe(short, obj, k, old):
    """`obj in probe` (ri: `(d, key) in probe`), the site probe of record-only hook
    `short` for site k: its sq_contains records the access the statement before made and
    answers False (access_hooks.cpp, SiteProbe). What `if st not in st: short(obj, k)`
    records, without the single-thread test (a probe records nothing while the program
    has one thread), a call's argument decoding, or a point inside `with lock:` where
    the thread may hand the GIL over (see _probe_subscript). obj is evaluated with the
    program single-threaded too, so it must be made of names whose load runs no code of
    the program (a function's own locals) and constants."""
    probe = _site_probe(short, [k], old)
    return _expr_stmt(_loc(ast.Compare(left=obj, ops=[ast.In()], comparators=[probe]), old), old)


def _site_arg(k, old, attr):
    """The site number of an access whose attribute the hook (not the bytecode) gets:
    `(k if True else (0).attr)`. The dead branch compiles to nothing but keeps attr in
    co_names, where it would be plainly and in the same order (after the object's own
    names), for what reads co_names (inspect.getclosurevars)."""
    dead = _loc(ast.Attribute(value=_const(0, old), attr=attr, ctx=ast.Load()), old)
    return _loc(ast.IfExp(test=_const(True, old), body=_const(k, old), orelse=dead), old)


def _attr_loc(new, attr):
    """new, at the position the compiler gives the load, store or delete of attribute
    node `attr`: an attribute spanning lines is reported at its name's line and column
    (update_start_location_to_match_attr), so tracebacks point at the same place."""
    ast.copy_location(new, attr)
    if attr.lineno != attr.end_lineno:
        new.lineno = attr.end_lineno
        if len(attr.attr) <= attr.end_col_offset:
            new.col_offset = attr.end_col_offset - len(attr.attr)
    return new


def _store_probe(short, operands, k, target, value):
    """`probe[value, obj(, key)]`: the store of hook `short` (sa, si) for site k, a
    statement whose value is None. Plainly a store evaluates the value first and stores
    at the target, so a value on a later line than the target is the statement's first
    line event: the probe is loaded at the value's position, and the store is at the
    target's, where a failing store is reported."""
    store = _probe_subscript(short, [k], operands, target, probe_at=value)
    return _attr_loc(store, target) if isinstance(target, ast.Attribute) else store


def _seen_store(t, old):
    """`if False: name.attr = name` after a store of attribute t that only the hook makes:
    the compiler collects the attributes a method stores on its first parameter
    (3.13's __static_attributes__) from the stores it compiles, and compiles this one to
    no instruction. On the statement's own line, so that no line is added; the value is
    the name itself, so that no constant is."""
    if not isinstance(t.value, ast.Name):
        return []
    name = t.value.id
    store = _loc(ast.Assign(targets=[_loc(ast.Attribute(value=_loc(ast.Name(id=name, ctx=ast.Load()), old),
                                                        attr=t.attr, ctx=ast.Store()), old)],
                            value=_loc(ast.Name(id=name, ctx=ast.Load()), old)), old)
    return [_loc(ast.If(test=_const(False, old), body=[store], orelse=[]), old)]


def _const(value, old):
    return _loc(ast.Constant(value=value), old)


def _expr_stmt(call, old):
    return _loc(ast.Expr(value=call), old)


def mangle(private, name):
    """The compiler's private-name mangling (_Py_Mangle): `__x` inside class `_C` is
    `_C__x`. Hooks receive attribute names as strings, which getattr() never mangles,
    so the rewriter does it wherever the compiler would have."""
    if private is None or not name.startswith("__") or name.endswith("__") or "." in name:
        return name
    stripped = private.lstrip("_")
    if not stripped:
        return name
    return "_%s%s" % (stripped, name)


def _text(node, limit=40):
    try:
        s = ast.unparse(node)
    except Exception:  # pragma: no cover - unparse handles every expression node
        return "?"
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _is_simple(node):
    """An expression that may be evaluated twice with no visible effect."""
    return isinstance(node, ast.Constant) or (isinstance(node, ast.Name) and not node.id.startswith("__pyrace"))




# ---------------------------------------------------------------------------
# Scopes: which names are module globals worth watching, which are locals, cells.


def _target_names(target, out):
    if isinstance(target, ast.Name):
        out.add(target.id)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            _target_names(elt, out)
    elif isinstance(target, ast.Starred):
        _target_names(target.value, out)


class _Bindings(ast.NodeVisitor):
    """Names a scope binds, without descending into nested scopes."""

    def __init__(self):
        self.assigned = set()   # by assignment-like statements (data)
        self.defined = set()    # by import, def, class (code, rarely shared state)
        self.globals = set()
        self.nonlocals = set()

    def scan(self, body):
        for stmt in body:
            self.visit(stmt)
        return self

    def visit_FunctionDef(self, node):
        self.defined.add(node.name)
        for d in node.decorator_list:
            self.visit(d)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self.defined.add(node.name)

    def visit_Lambda(self, node):
        pass

    def visit_ListComp(self, node):
        # Only the walrus leaks out of a comprehension into the enclosing scope.
        for n in ast.walk(node):
            if isinstance(n, ast.NamedExpr) and isinstance(n.target, ast.Name):
                self.assigned.add(n.target.id)

    visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_ListComp

    def visit_Import(self, node):
        for a in node.names:
            self.defined.add((a.asname or a.name).split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_Global(self, node):
        self.globals.update(node.names)

    def visit_Nonlocal(self, node):
        self.nonlocals.update(node.names)

    def visit_Name(self, node):
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self.assigned.add(node.id)

    def visit_ExceptHandler(self, node):
        if node.name:
            self.assigned.add(node.name)
        self.generic_visit(node)

    def visit_MatchAs(self, node):
        if node.name:
            self.assigned.add(node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node):
        if node.name:
            self.assigned.add(node.name)

    def visit_MatchMapping(self, node):
        if node.rest:
            self.assigned.add(node.rest)
        self.generic_visit(node)


def _args_names(args):
    names = set()
    for a in args.posonlyargs + args.args + args.kwonlyargs:
        names.add(a.arg)
    if args.vararg:
        names.add(args.vararg.arg)
    if args.kwarg:
        names.add(args.kwarg.arg)
    return names


_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _evaluated_outside(scope):
    """The parts of a nested def, lambda or class the enclosing scope evaluates:
    decorators, defaults, bases and keywords, annotations."""
    parts = list(getattr(scope, "decorator_list", ()))
    if isinstance(scope, ast.ClassDef):
        return parts + scope.bases + [k.value for k in scope.keywords]
    a = scope.args
    parts += a.defaults + [d for d in a.kw_defaults if d is not None]
    for arg in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg]:
        if arg is not None and arg.annotation is not None:
            parts.append(arg.annotation)
    if getattr(scope, "returns", None) is not None:
        parts.append(scope.returns)
    return parts


def _comprehension_targets(comp):
    names = set()
    for gen in comp.generators:
        for n in ast.walk(gen.target):
            if isinstance(n, ast.Name):
                names.add(n.id)
    return names


def _own_scope(nodes):
    """One scope's Name nodes (uses and bindings) and the scopes it nests, not
    descending into those (_Bindings has its declarations). A comprehension's own loop
    variables are left out: nothing outside it can see them."""
    names, nested = [], []

    def walk(node, hidden):
        if isinstance(node, _NESTED_SCOPES):
            nested.append(node)
            for part in _evaluated_outside(node):
                walk(part, hidden)
            return
        if isinstance(node, _COMPREHENSIONS):
            hidden = hidden | _comprehension_targets(node)
        elif isinstance(node, ast.Name) and node.id not in hidden:
            names.append(node)
        for child in ast.iter_child_nodes(node):
            walk(child, hidden)

    for n in nodes:
        walk(n, frozenset())
    return names, nested


def _free_names(scope):
    """The names free in a nested def, lambda or class: used in it, or free in what it
    nests, and bound on the way by none of them (the compiler's symbol table: a nested
    function's own parameter or local is not its enclosing function's cell). A class
    body's bindings are no enclosing scope of its methods."""
    body = [scope.body] if isinstance(scope, ast.Lambda) else scope.body
    names, nested = _own_scope(body)
    b = _Bindings().scan(body)
    bound = (b.assigned | b.defined) - b.nonlocals
    if not isinstance(scope, ast.ClassDef):
        bound |= _args_names(scope.args)
    free = ({n.id for n in names} | b.nonlocals) - bound - b.globals
    hides = b.globals if isinstance(scope, ast.ClassDef) else bound | b.globals
    for inner in nested:
        free |= _free_names(inner) - hides
    return free


def _nonlocal_free(nested, free):
    """Of the names free in the scopes nested, those some of them declare nonlocal."""
    declared = set()
    for inner in nested:
        for n in ast.walk(inner):
            if isinstance(n, ast.Nonlocal):
                declared.update(n.names)
    return declared & free


class _Scope:
    def __init__(self, kind, qualname, parent, locals_=(), cells=(), nonlocals=(), globals_=(),
                 cls_name=None, private=None):
        self.kind = kind  # "module", "function", "class", "comprehension"
        self.qualname = qualname
        self.parent = parent
        self.locals = set(locals_)
        self.cells = set(cells)         # the watched cells this scope owns
        self.nonlocals = set(nonlocals)
        self.globals = set(globals_)
        self.cls_name = cls_name        # the class whose method this is ("self" names it)
        # The innermost enclosing class, which private names are mangled with: the
        # compiler hands it down to every nested function, lambda and comprehension.
        self.private = private if private is not None else (parent.private if parent else None)

    def cell_owner(self, name):
        """The scope owning the watched cell `name` seen from here, or None."""
        s = self
        while s is not None and s.kind != "module":
            if s.kind in ("function", "comprehension"):
                if name in s.cells:
                    return s
                if name in s.locals and name not in s.nonlocals:
                    return None  # a local of its own, or an unwatched one of an enclosing function
            s = s.parent
        return None


# ---------------------------------------------------------------------------


class Rewriter(ast.NodeTransformer):
    """Rewrites one module. `sites` collects the site table as it goes."""

    def __init__(self, module_name, display_name):
        self.module_name = module_name
        self.display_name = display_name  # how reports name the module ("counter")
        self.sites = []
        self.scope = None
        self.data_globals = set()
        self.shadowed_builtins = set()
        self.in_test = 0  # inside an if/while/ternary test (see _tested)

    # -- sites ---------------------------------------------------------------

    def _attr(self, name):
        return mangle(self.scope.private, name)

    def site(self, kind, node, name="", text=""):
        if self.in_test:
            kind = _CHECK_OF.get(kind, kind)
        self.sites.append((kind, getattr(node, "lineno", 0), name, text))
        return len(self.sites) - 1

    def _owner_text(self, node):
        """How a report names the object of an access: `self.items` in a method of
        Worker reads as Worker.items."""
        text = _text(node)
        cls = self._enclosing_class()
        if cls and (text == "self" or text.startswith("self.")):
            text = cls + text[4:]
        return text

    def _enclosing_class(self):
        s = self.scope
        while s is not None:
            if s.cls_name:
                return s.cls_name
            if s.kind == "module":
                return None
            s = s.parent
        return None

    # -- names -----------------------------------------------------------------

    def _is_watched_global(self, name):
        s = self.scope
        if s.kind == "module":
            return name in self.data_globals
        if s.kind == "class":
            return False
        if name in s.globals:
            return True
        while s is not None and s.kind != "module":
            if s.kind in ("function", "comprehension") and (name in s.locals or name in s.nonlocals):
                return False
            s = s.parent
        return name in self.data_globals

    def _unwatched(self, node):
        """A constant, or a name whose read is no access (a plain local): visit_Name
        leaves it as it is."""
        if isinstance(node, ast.Constant):
            return True
        return (isinstance(node, ast.Name) and _is_simple(node) and not self._is_watched_global(node.id)
                and self._cell_owner(node.id) is None)

    def _function_local(self, node):
        """A name the function binds itself (a parameter, an assigned name), loaded from
        its frame: no dict lookup (a global's goes through the module's dict, a class
        body's through a namespace the program may own) and no watched access."""
        s = self.scope
        return (isinstance(node, ast.Name) and s.kind in ("function", "comprehension") and node.id in s.locals
                and node.id not in s.globals and node.id not in s.nonlocals and self._unwatched(node))

    def _cell_owner(self, name):
        if self.scope.kind in ("module", "class"):
            return None
        if name in self.scope.globals:
            return None
        return self.scope.cell_owner(name)

    def visit_Name(self, node):
        if not isinstance(node.ctx, ast.Load) or node.id.startswith("__pyrace"):
            return node
        if self._is_watched_global(node.id):
            k = self.site(GLOBAL_READ, node, self._attr(node.id))
            return _while_recording(_call("gr", [node, _const(k, node)], node), _copy_simple(node), node)
        owner = self._cell_owner(node.id)
        if owner is not None:
            # The runtime finds the cell itself, in the running frame, by its
            # (mangled) name: a token variable would be a new local of the program.
            k = self.site(CELL_READ, node, self._attr(node.id), owner.qualname)
            return _while_recording(_call("nr", [node, _const(k, node)], node), _copy_simple(node), node)
        return node

    def _name_write_records(self, names, node, rmw=False):
        out = []
        for n in names:
            if n.startswith("__pyrace"):
                continue
            if self._is_watched_global(n):
                k = self.site(GLOBAL_RMW if rmw else GLOBAL_WRITE, node, self._attr(n))
                out.append(_record_stmt(_call("gw", [_const(k, node)], node), node))
                continue
            owner = self._cell_owner(n)
            if owner is not None:
                k = self.site(CELL_RMW if rmw else CELL_WRITE, node, self._attr(n), owner.qualname)
                out.append(_record_stmt(_call("nw", [_const(k, node)], node), node))
        return out

    # -- scopes ----------------------------------------------------------------

    def visit_Module(self, node):
        b = _Bindings().scan(node.body)
        for n in ast.walk(node):
            if isinstance(n, ast.Global):
                b.assigned.update(n.names)
        self.data_globals = {n for n in b.assigned if not n.startswith("__")}
        self.shadowed_builtins = (b.assigned | b.defined) & READING_BUILTINS
        self.scope = _Scope("module", "<module>", None)
        node.body = self._body(node.body)
        return node

    def _function(self, node, qual):
        b = _Bindings().scan(node.body)
        params = _args_names(node.args)
        locals_ = (b.assigned | b.defined | params) - b.globals - b.nonlocals
        own, nested = _own_scope(node.body)
        used_inner = set().union(*(_free_names(inner) for inner in nested))
        nonlocal_inner = _nonlocal_free(nested, used_inner)
        # Watch a cell when an inner function rebinds it (nonlocal) or this function
        # rebinds it after creating one that reads it: only then can threads disagree.
        # (A nested scope rebinds one only through nonlocal, so bindings are counted in
        # this function's own scope.)
        cells = set()
        for name in locals_ & used_inner:
            binds = (name in params) + sum(1 for n in own if n.id == name and isinstance(n.ctx, ast.Store))
            if name in nonlocal_inner or binds >= 2:
                cells.add(name)
        parent = self.scope
        cls = parent.cls_name if parent.kind == "class" else None
        scope = _Scope("function", qual, parent, locals_, cells, b.nonlocals, b.globals, cls_name=None)
        if cls and (node.args.posonlyargs + node.args.args):
            scope.cls_name = cls
        return scope

    def visit_FunctionDef(self, node):
        node.decorator_list = [self.visit(d) for d in node.decorator_list]
        node.args = self._visit_defaults(node.args)
        saved = self.scope
        self.scope = self._function(node, self._qualname(node.name))
        node.body = self._body(node.body)
        self.scope = saved
        return node

    visit_AsyncFunctionDef = visit_FunctionDef

    def _visit_defaults(self, args):
        args.defaults = [self.visit(d) for d in args.defaults]
        args.kw_defaults = [self.visit(d) if d is not None else None for d in args.kw_defaults]
        return args

    def _qualname(self, name):
        """__qualname__ as the compiler makes it (names cells in reports)."""
        s = self.scope
        if s.kind == "module":
            return name
        return s.qualname + (".<locals>." if s.kind in ("function", "comprehension") else ".") + name

    def visit_Lambda(self, node):
        node.args = self._visit_defaults(node.args)
        saved = self.scope
        self.scope = _Scope("function", self._qualname("<lambda>"), saved, _args_names(node.args),
                            cls_name=None)
        node.body = self.visit(node.body)
        self.scope = saved
        return node

    def visit_ClassDef(self, node):
        # The class body runs once, at definition: only its methods are rewritten.
        saved = self.scope
        self.scope = _Scope("class", self._qualname(node.name), saved, cls_name=node.name, private=node.name)
        node.body = [self.visit(s) if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                     else s for s in node.body]
        self.scope = saved
        return node

    def _comprehension(self, node, parts):
        # The first iterable is evaluated in the enclosing scope; the rest inside.
        gens = node.generators
        gens[0].iter = self._iterated(gens[0].iter)
        saved = self.scope
        names = set()
        for g in gens:
            _target_names(g.target, names)
        self.scope = _Scope("comprehension", saved.qualname, saved, names, cls_name=None)
        for i, g in enumerate(gens):
            if i:
                g.iter = self._iterated(g.iter)
            g.ifs = [self.visit(x) for x in g.ifs]
        for attr in parts:
            setattr(node, attr, self.visit(getattr(node, attr)))
        self.scope = saved
        return node

    def visit_ListComp(self, node):
        return self._comprehension(node, ("elt",))

    visit_SetComp = visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node):
        return self._comprehension(node, ("key", "value"))

    # -- statements ------------------------------------------------------------

    def _body(self, stmts):
        out = []
        for s in stmts:
            r = self.visit(s)
            if isinstance(r, list):
                out.extend(r)
            elif r is not None:
                out.append(r)
        return out

    def generic_visit(self, node):
        # Statement lists (if/for/while/try/with bodies) may grow: one statement can
        # become several.
        for field, value in ast.iter_fields(node):
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                setattr(node, field, self._body(value))
            elif isinstance(value, list):
                setattr(node, field, [self.visit(v) if isinstance(v, ast.AST) else v for v in value])
            elif isinstance(value, ast.AST):
                setattr(node, field, self.visit(value))
        return node

    def visit_Expr(self, node):
        """A statement that is one fast-path choice becomes a choice of two statements.
        The compiler gives an expression statement's POP_TOP no position of its own; after
        the choice's join it starts a block and keeps none (co_positions() reports None
        where plainly the statement's position is). In each branch it follows its value."""
        self.generic_visit(node)
        v = node.value
        if not getattr(v, "pyrace_choice", False):
            return node
        plain = _loc(ast.Expr(value=v.body), node)
        hooked = _loc(ast.Expr(value=v.orelse), node)
        return _loc(ast.If(test=v.test, body=[plain], orelse=[hooked]), node)

    def visit_Assign(self, node):
        node.value = self.visit(node.value)
        if len(node.targets) == 1:
            t = node.targets[0]
            if isinstance(t, ast.Attribute):
                # The store is the hook's: it fails where STORE_ATTR would, at the target.
                k = self.site(ATTR_WRITE, t, self._attr(t.attr), self._owner_text(t.value))
                obj = self.visit(t.value)
                call = _store_probe("sa", [node.value, _named(obj, t.attr, t)], k, t, node.value)
                # Only a constant skips the hook while single-threaded: the hook names a
                # lock stored in an attribute even then (locks are mostly stored before
                # the threads sharing them start).
                if isinstance(node.value, ast.Constant) and _is_simple(obj):
                    target = ast.copy_location(ast.Attribute(value=_copy_simple(obj), attr=t.attr,
                                                             ctx=ast.Store()), t)
                    return _plain_or_hooked(target, node.value, call, node)
                return [_expr_stmt(call, node)] + _seen_store(t, node)
            if isinstance(t, ast.Subscript) and not isinstance(t.slice, ast.Slice):
                k = self.site(ITEM_WRITE, t, "", self._owner_text(t.value))
                obj, key = self.visit(t.value), self.visit(t.slice)
                call = _store_probe("si", [node.value, obj, key], k, t, node.value)
                if _is_simple(node.value) and _is_simple(obj) and _is_simple(key):
                    target = ast.copy_location(ast.Subscript(value=_copy_simple(obj), slice=_copy_simple(key),
                                                             ctx=ast.Store()), t)
                    return _plain_or_hooked(target, _copy_simple(node.value), call, node)
                return _expr_stmt(call, node)
        after = []
        for t in node.targets:
            after.extend(self._store_target(t, node))
        node.targets = [self._visit_target(t) for t in node.targets]
        return [node] + after

    def visit_AnnAssign(self, node):
        if node.value is None:
            return node
        node.value = self.visit(node.value)
        after = self._store_target(node.target, node)
        node.target = self._visit_target(node.target)
        return [node] + after

    def _visit_target(self, t):
        """Visits the sub-expressions of a store target (not the store itself)."""
        if isinstance(t, ast.Attribute):
            t.value = self.visit(t.value)
        elif isinstance(t, ast.Subscript):
            t.value = self.visit(t.value)
            t.slice = self.visit(t.slice)
        elif isinstance(t, (ast.Tuple, ast.List)):
            t.elts = [self._visit_target(e) for e in t.elts]
        elif isinstance(t, ast.Starred):
            t.value = self._visit_target(t.value)
        return t

    def _store_target(self, t, stmt, rmw=False, owner=None):
        """Records (hook calls or site probes) to run after a store that could not become
        a hook's own. Only re-evaluates what has no side effects (names, constants, the
        statement's own temporaries). owner: how the report names the object when t.value
        was replaced by a temporary."""
        if isinstance(t, ast.Name):
            return self._name_write_records([t.id], stmt, rmw)
        if owner is None and isinstance(t, (ast.Attribute, ast.Subscript)):
            owner = self._owner_text(t.value)
        if isinstance(t, ast.Attribute) and _is_simple(t.value):
            k = self.site(ATTR_RMW if rmw else ATTR_WRITE, t, self._attr(t.attr), owner)
            if self._function_local(t.value):
                return [_record_probe("ra", _copy_simple(t.value), k, stmt)]
            return [_record_stmt(_call("ra", [_copy_simple(t.value), _const(k, t)], stmt), stmt)]
        if isinstance(t, ast.Subscript) and _is_simple(t.value) and _is_simple(t.slice):
            k = self.site(ITEM_RMW if rmw else ITEM_WRITE, t, "", owner)
            if self._function_local(t.value) and (isinstance(t.slice, ast.Constant) or self._function_local(t.slice)):
                pair = _loc(ast.Tuple(elts=[_copy_simple(t.value), _copy_simple(t.slice)], ctx=ast.Load()), stmt)
                return [_record_probe("ri", pair, k, stmt)]
            return [_record_stmt(_call("ri", [_copy_simple(t.value), _copy_simple(t.slice), _const(k, t)],
                                       stmt), stmt)]
        if isinstance(t, (ast.Tuple, ast.List)):
            out = []
            for e in t.elts:
                out.extend(self._store_target(e, stmt, rmw))
            return out
        if isinstance(t, ast.Starred):
            return self._store_target(t.value, stmt, rmw)
        return []

    def visit_AugAssign(self, node):
        t = node.target
        if isinstance(t, ast.Name):
            node.value = self.visit(node.value)
            return [node] + self._name_write_records([t.id], node, rmw=True)
        # Named before the parts are rewritten: `self.by_key[k] += v` is an update of
        # Stats.by_key[k].
        owner = self._owner_text(t.value)
        if isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Slice):
            # A slice update is one of the whole container, recorded as it starts.
            k = self.site(CONTAINER_WRITE, t, "", owner)
            t.value = _container(self.visit(t.value), k, t.value)
            t.slice = self.visit(t.slice)
            node.value = self.visit(node.value)
            return node
        if isinstance(t, ast.Attribute) and _is_simple(t.value) or \
                isinstance(t, ast.Subscript) and _is_simple(t.value) and _is_simple(t.slice):
            # The statement stays the interpreter's own; its object and key are names or
            # constants, which can be read again to record the update after it.
            node.value = self.visit(node.value)
            return [node] + self._store_target(t, node, rmw=True, owner=owner)
        # `a.b.c += v` -> `aa_k[a.b][0] += v` (aa's site probe): a target standing for
        # (a.b).c, whose item read and store are the attribute's read and store. The
        # object and key are evaluated once, in their place, with no new name; the read,
        # the in-place operation and the store stay the interpreter's own instructions,
        # in the plain order and at the plain positions. The store records the update.
        if isinstance(t, ast.Attribute):
            k = self.site(ATTR_RMW, t, self._attr(t.attr), owner)
            target = _probe_subscript("aa", [k], [_named(self.visit(t.value), t.attr, t)], t)
            loc = _attr_loc(ast.Constant(value=0), t)
        elif (isinstance(t.value, ast.Attribute) and self._unwatched(t.value.value)
              and self._unwatched(t.slice)):
            # `self.d[k] += v` -> `ai_k_ka[self.d, k, self][k] += v`: the attribute is
            # read by the interpreter's own instruction, in its place; ai records that
            # read and the entry's update and gives the container itself back, so the
            # subscript, the in-place operation and the store are the interpreter's own
            # (specialized) instructions on it. The key is a name or constant, whose
            # second load runs no code, and nothing runs between the read and its record.
            k = self.site(ITEM_RMW, t, "", owner)
            a = t.value
            ka = self.site(ATTR_READ, a, self._attr(a.attr), self._owner_text(a.value))
            read = ast.copy_location(ast.Attribute(value=_copy_simple(a.value), attr=a.attr, ctx=ast.Load()), a)
            container = _probe_subscript("ai", [k, ka], [read, _copy_simple(t.slice), _copy_simple(a.value)], t)
            node.target = ast.copy_location(ast.Subscript(value=container, slice=_copy_simple(t.slice),
                                                          ctx=ast.Store()), t)
            node.value = self.visit(node.value)
            return node
        else:
            k = self.site(ITEM_RMW, t, "", owner)
            target = _probe_subscript("ai", [k], [self.visit(t.value), self.visit(t.slice)], t)
            loc = ast.copy_location(ast.Constant(value=0), t)
        node.target = ast.copy_location(ast.Subscript(value=target, slice=_loc(ast.Constant(value=0), t),
                                                      ctx=ast.Store()), loc)
        node.value = self.visit(node.value)
        return node

    def visit_Delete(self, node):
        out = []
        for t in node.targets:
            if isinstance(t, ast.Attribute):
                k = self.site(ATTR_DEL, t, self._attr(t.attr), self._owner_text(t.value))
                call = _attr_loc(_call("da", [self.visit(t.value), _site_arg(k, t, t.attr)], t), t)
                out.append(_expr_stmt(call, node))
            elif isinstance(t, ast.Subscript) and not isinstance(t.slice, ast.Slice):
                k = self.site(ITEM_DEL, t, "", self._owner_text(t.value))
                out.append(_expr_stmt(_call("di", [self.visit(t.value), self.visit(t.slice), _const(k, t)],
                                            t), node))
            else:
                d = _loc(ast.Delete(targets=[self._visit_target(t)]), node)
                out.append(d)
                if isinstance(t, ast.Name):
                    out.extend(self._name_write_records([t.id], node))
        return out

    def visit_With(self, node):
        # `with self.lock:` reads a lock (or a file, a context manager), not shared data:
        # the context expression itself is not an access, its parts still are.
        for item in node.items:
            e = item.context_expr
            if isinstance(e, ast.Attribute):
                e.value = self.visit(e.value)
            elif not isinstance(e, ast.Name):
                item.context_expr = self.visit(e)
            if item.optional_vars is not None:
                item.optional_vars = self._visit_target(item.optional_vars)
        node.body = self._body(node.body)
        return node

    visit_AsyncWith = visit_With

    def visit_For(self, node):
        node.iter = self._iterated(node.iter)
        after = self._store_target(node.target, node)
        node.target = self._visit_target(node.target)
        node.body = after + self._body(node.body)
        node.orelse = self._body(node.orelse)
        return node

    visit_AsyncFor = visit_For

    def _iterated(self, old):
        """Visits an expression whose value is iterated or measured: a read of the whole
        container."""
        if isinstance(old, (ast.Call,) + FRESH_OBJECTS):
            return self.visit(old)  # a fresh object (range(), a literal...): nobody else can see it
        k = self.site(CONTAINER_READ, old, "", self._owner_text(old))
        return _container(self.visit(old), k, old)

    def _tested(self, old):
        """Visits an expression whose truth value is taken (if/while/ternary tests, and
        the operands of `not`, `and`, `or` there): a variable, attribute or item
        holding a builtin container is a read of its shape. Every read in a test is a
        check."""
        self.in_test += 1
        try:
            return self._tested_expr(old)
        finally:
            self.in_test -= 1

    def _tested_expr(self, old):
        if isinstance(old, ast.UnaryOp) and isinstance(old.op, ast.Not):
            old.operand = self._tested_expr(old.operand)
            return old
        if isinstance(old, ast.BoolOp):
            old.values = [self._tested_expr(v) for v in old.values]
            return old
        # A local variable's truth test too (`if pending:` where pending is a local
        # alias of a shared list): while the program has one thread it is the
        # interpreter's own test behind the single-thread probe (_container), after
        # that a hook call that records only when the value is a builtin container.
        if isinstance(old, (ast.Name, ast.Attribute, ast.Subscript)) and isinstance(old.ctx, ast.Load):
            k = self.site(TRUTH_TEST, old, "", self._owner_text(old))
            return _container(self.visit(old), k, old)
        return self.visit(old)

    def _watched_name(self, name):
        return not name.startswith("__pyrace") and (self._is_watched_global(name) or
                                                    self._cell_owner(name) is not None)

    def visit_If(self, node):
        node.test = self._tested(node.test)
        node.body = self._body(node.body)
        node.orelse = self._body(node.orelse)
        return node

    visit_While = visit_If

    def visit_IfExp(self, node):
        node.test = self._tested(node.test)
        node.body = self.visit(node.body)
        node.orelse = self.visit(node.orelse)
        return node

    def visit_match_case(self, node):
        # Patterns are not expressions: Color.RED in a pattern must stay an attribute chain.
        if node.guard is not None:
            node.guard = self.visit(node.guard)
        node.body = self._body(node.body)
        return node

    # -- expressions -----------------------------------------------------------

    def visit_Attribute(self, node):
        if not isinstance(node.ctx, ast.Load):
            return self.generic_visit(node)
        k = self.site(ATTR_READ, node, self._attr(node.attr), self._owner_text(node.value))
        value = self.visit(node.value)
        hooked = _attr_loc(_probe_subscript("ga", [k], [_named(value, node.attr, node)], node), node)
        if not _is_simple(value):
            return hooked
        plain = ast.copy_location(ast.Attribute(value=_copy_simple(value), attr=node.attr, ctx=ast.Load()), node)
        return _while_recording(hooked, plain, node)

    def visit_Subscript(self, node):
        if not isinstance(node.ctx, ast.Load):
            return self.generic_visit(node)
        if isinstance(node.slice, ast.Slice):
            k = self.site(CONTAINER_READ, node, "", self._owner_text(node.value))
            node.value = _container(self.visit(node.value), k, node.value)
            node.slice = self.visit(node.slice)
            return node
        k = self.site(ITEM_READ, node, "", self._owner_text(node.value))
        value, key = self.visit(node.value), self.visit(node.slice)
        hooked = _probe_subscript("gi", [k], [value, key], node)
        if not (_is_simple(value) and _is_simple(key)):
            return hooked
        plain = ast.copy_location(ast.Subscript(value=_copy_simple(value), slice=_copy_simple(key),
                                                ctx=ast.Load()), node)
        return _while_recording(hooked, plain, node)

    def visit_Compare(self, node):
        # `x in [a, b]` / `x in {a, b}` tests a display nobody else can see: no access to
        # record, and left alone the compiler makes the display a constant tuple or
        # frozenset as it does plainly (code that reads its own code objects sees it).
        if (len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn))
                and not isinstance(node.comparators[0], FRESH_OBJECTS)):
            kind = CONTAINS if isinstance(node.ops[0], ast.In) else NOT_CONTAINS
            k = self.site(kind, node, "", self._owner_text(node.comparators[0]))
            item, container = self.visit(node.left), self.visit(node.comparators[0])
            hooked = _call("in", [item, container, _const(k, node)], node)
            if not (_is_simple(item) and _is_simple(container)):
                return hooked
            plain = ast.copy_location(ast.Compare(left=_copy_simple(item), ops=[type(node.ops[0])()],
                                                  comparators=[_copy_simple(container)]), node)
            return _while_recording(hooked, plain, node)
        return self.generic_visit(node)

    def visit_Call(self, node):
        f = node.func
        plain = not node.keywords and not any(isinstance(a, ast.Starred) for a in node.args)
        if isinstance(f, ast.Attribute) and plain and self._method_kind(f.attr, node.args) is not None:
            kind = self._method_kind(f.attr, node.args)
            k = self.site(kind, node, f.attr, self._owner_text(f.value))
            if (kind in (METHOD_WRITE, METHOD_READ) and f.attr not in RECEIVING_METHODS
                    and not any(_may_synchronize(a) for a in node.args)):
                # `obj.append(x)` -> `c(obj, site).append(x)`: recorded before the
                # arguments run, which is the same point when they cannot synchronize,
                # and the call stays the interpreter's own (specialized) method call.
                f.value = _container(self.visit(f.value), k, node)
                node.args = [self.visit(a) for a in node.args]
                return node
            # `obj.get(key)` -> `mc(obj.get, site, key)`: the program looks the method up
            # itself, in its place (before the arguments, at its position), and the hook
            # records against the bound method's receiver after the arguments ran.
            f.value = self.visit(f.value)
            args = [self.visit(a) for a in node.args]
            hooked = _call("mc", [f, _const(k, node)] + args, node)
            if not (_is_simple(f.value) and all(_is_simple(a) for a in args)):
                return hooked
            method = ast.copy_location(ast.Attribute(value=_copy_simple(f.value), attr=f.attr, ctx=ast.Load()), f)
            plain = _loc(ast.Call(func=method, args=[_copy_simple(a) for a in args], keywords=[]), node)
            return _while_recording(hooked, plain, node)
        if isinstance(f, ast.Attribute):
            # A method call: the method lookup is not a data access.
            f.value = self.visit(f.value)
        elif (isinstance(f, ast.Name) and f.id in READING_BUILTINS and f.id not in self.shadowed_builtins
              and len(node.args) >= 1 and plain and self._builtin_visible(f.id)):
            node.args = [self._iterated(node.args[0])] + [self.visit(a) for a in node.args[1:]]
            return node
        else:
            node.func = self.visit(f)
        node.args = [self.visit(a) for a in node.args]
        node.keywords = [self.visit(kw) for kw in node.keywords]
        return node

    def _builtin_visible(self, name):
        s = self.scope
        while s is not None:
            if s.kind in ("function", "comprehension") and name in s.locals:
                return False
            s = s.parent
        return True

    @staticmethod
    def _method_kind(name, args):
        if name in WRITE_METHODS:
            return METHOD_WRITE
        if name in KEY_WRITE_METHODS:
            return METHOD_KEY_WRITE if args else METHOD_WRITE
        if name in READ_METHODS:
            return METHOD_READ
        if name == "popleft":
            return METHOD_WRITE
        if name in KEY_READ_METHODS and args:
            return METHOD_KEY_READ
        return None

    # Annotations are not accesses.
    def visit_arg(self, node):
        return node


# Expression nodes that run no user code of their own, short of operator overloading
# on user classes (`a + b` calling a __add__ that takes a lock is not modelled). An
# attribute (a property), a subscript (a __getitem__ under a lock), an f-string
# (__format__) or any call can wait for another thread.
_INERT = (ast.Name, ast.Constant, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp,
          ast.Tuple, ast.List, ast.Set, ast.Dict, ast.Starred, ast.expr_context, ast.operator,
          ast.unaryop, ast.boolop, ast.cmpop)


def _may_synchronize(expr):
    """Whether evaluating expr may take a lock or receive a hand-off (see _INERT)."""
    return any(not isinstance(n, _INERT) for n in ast.walk(expr))


def _container(value, k, old):
    """c(value, site): a read of value's shape (or, before value.method(...), a write).

    For a name or constant, `(value if value not in cp else c(value, site))`: the
    container probe's sq_contains answers from value itself whether the hook has
    anything to record (accesses are recorded and value is a builtin container or a
    deque), so `obj.add(x)` on an object of the program's own class costs a slot call,
    not a hook call, in every thread."""
    hooked = _call("c", [value, _const(k, old)], old)
    if not _is_simple(value):
        return hooked
    test = _loc(ast.Compare(left=_copy_simple(value), ops=[ast.NotIn()], comparators=[_probe(old, "cp")]), old)
    choice = _loc(ast.IfExp(test=test, body=_copy_simple(value), orelse=hooked), old)
    choice.pyrace_choice = True  # see Rewriter.visit_Expr
    return choice


def _copy_simple(node):
    if isinstance(node, ast.Name):
        return ast.copy_location(ast.Name(id=node.id, ctx=ast.Load()), node)
    return ast.copy_location(ast.Constant(value=node.value), node)


def rewrite(tree, filename, module_name, display_name):
    """Rewrites a parsed module in place and returns it, ready for compile(). The
    module's site table is tree.pyrace_sites; bind() gives the compiled code its hooks."""
    rw = Rewriter(module_name, display_name)
    rw.visit(tree)
    tree.pyrace_sites = tuple(rw.sites)
    ast.fix_missing_locations(tree)
    # fix_missing_locations gives a node without an end its parent's end, which is
    # before its start when another rewriter (pytest's) left ends out: compile() then
    # refuses the range.
    for node in ast.walk(tree):
        if "end_lineno" in node._attributes and node.end_lineno is not None and node.end_lineno < node.lineno:
            node.end_lineno = node.lineno
            node.end_col_offset = node.col_offset
    return tree


def bind(code, sites, display_name, filename):
    """The compiled code of a rewritten module with its hooks in place of their
    placeholders, in its own and every nested code object's constants."""
    if not sites:
        return code
    runtime = __import__("_pyrace")
    hooks = runtime.access_hooks(HOOKS, display_name, filename, tuple(sites))
    mapping = {PLACEHOLDERS[short]: hook for short, hook in zip(HOOKS, hooks)}
    bind_code = getattr(runtime, "bind_code", None)
    if bind_code is not None:
        # In place (see access_hooks.cpp): code.replace() loses 3.12's hidden locals.
        bind_code(code, mapping)
        return code
    from .reference_hooks import SiteProbe
    return _substitute(code, mapping, SiteProbe)


def _substitute(code, mapping, site_probe):
    """bind() for the reference hooks, which have no bind_code: 3.11's code.replace()
    keeps every local's kind. site_probe(short, hook, sites) makes the probe of a
    "placeholder#k..."."""
    consts = []
    for c in code.co_consts:
        if type(c) is str and c in mapping:
            c = mapping[c]
        elif type(c) is str and c.startswith("\x00") and c.partition("#")[0] in mapping:
            base, *sites = c.split("#")
            short = next(short for short, placeholder in PLACEHOLDERS.items() if placeholder == base)
            c = site_probe(short, mapping[base], [int(k) for k in sites])
        elif isinstance(c, types.CodeType):
            c = _substitute(c, mapping, site_probe)
        consts.append(c)
    consts = tuple(consts)
    if all(a is b for a, b in zip(consts, code.co_consts)):
        return code
    return code.replace(co_consts=consts)
