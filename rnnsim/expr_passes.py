"""Whole-tree passes over the expression IR (THEORY §2.2): depth, leaf substitution, the
nodes read, structural equality, text.

Each pass visits every distinct subexpression once, bottom-up and without recursion
(:meth:`Expr.walk`), so deep expressions and shared DAGs — whose written-out form grows
exponentially — cost time linear in their distinct subexpressions. The node classes live in
:mod:`rnnsim.expr`; their methods (``depth``, ``substitute``, ``rename``, ``nodes``, ``==``, ``str``) call these.
"""

from __future__ import annotations

from .expr import Affine, Const, Expr, Node, Prod, Recip, ReLU, _affine_sum, as_expr, relu


def depth_of(e: Expr, memo: dict) -> int:
    """Depth of ``e`` (ReLU/Prod/Recip on a path); ``memo`` (id → depth) may be shared across
    the transitions of a network so a shared subexpression is counted once — and not walked
    again: a subexpression whose depth is known is not entered."""
    got = memo.get(id(e))
    if got is not None:
        return got
    # iterative post-order to survive deep trees
    stack: list = [(e, False)]
    while stack:
        x, expanded = stack.pop()
        if id(x) in memo:
            continue
        if expanded:
            d = max((memo[id(c)] for c in x.children()), default=0)
            if isinstance(x, (ReLU, Prod, Recip)):
                d += 1
            memo[id(x)] = d
        else:
            stack.append((x, True))
            stack.extend([(c, False) for c in x.children()])
    return memo[id(e)]


def map_leaves(e: Expr, fn) -> Expr:
    """``e`` with every Node leaf replaced by ``fn(leaf)``, rebuilt bottom-up with the
    operators (constants fold as they do when building); shared subexpressions stay shared."""
    memo: dict = {}
    for sub in e.walk():
        if isinstance(sub, Node):
            out = as_expr(fn(sub))
        elif isinstance(sub, Const):
            out = sub
        elif isinstance(sub, Affine):
            out = _affine_sum([(memo[id(t)], w) for t, w in sub.terms] + [(Const(sub.const), 1)])
        elif isinstance(sub, ReLU):
            out = relu(memo[id(sub.arg)])
        elif isinstance(sub, Prod):
            out = memo[id(sub.left)] * memo[id(sub.right)]  # folds constants like the operators do
        elif isinstance(sub, Recip):
            out = Recip(memo[id(sub.arg)])
        else:  # pragma: no cover - the set is closed
            raise TypeError(type(sub))
        memo[id(sub)] = out
    return memo[id(e)]


def node_names(e: Expr) -> frozenset[str]:
    """The names of the nodes ``e`` reads, cached on each object (the range analysis asks for
    every node at every time); a subexpression whose set is known is not walked again."""
    got = getattr(e, "_n", None)
    if got is not None:
        return got
    out: set[str] = set()
    seen: set[int] = set()
    stack: list[Expr] = [e]
    while stack:
        x = stack.pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        known = getattr(x, "_n", None)
        if known is not None:
            out |= known
        elif isinstance(x, Node):
            out.add(x.name)
        else:
            stack.extend(x.children())
    got = frozenset(out)
    object.__setattr__(e, "_n", got)
    return got


def names_read(exprs) -> set[str]:
    """The names of the nodes read by any of ``exprs``: one walk over their distinct
    subexpressions together (a subexpression shared by several is visited once), no set
    per expression (validation asks this of every transition of a network). Node leaves are
    read where they are met, never pushed; cached node sets (``_n``) are not consulted: each
    distinct subexpression is visited once anyway, and looking for a cache that is almost
    never there cost more than it saved."""
    out: set[str] = set()
    seen: set[int] = set()
    stack: list = []
    pop, push, add_seen, add_name = stack.pop, stack.append, seen.add, out.add
    for x in exprs:
        if type(x) is Node:
            add_name(x.name)
        else:
            push(x)
    while stack:
        x = pop()
        i = id(x)
        if i in seen:
            continue
        add_seen(i)
        if type(x) is Affine:
            for e, _ in x.terms:
                if type(e) is Node:
                    add_name(e.name)
                else:
                    push(e)
        else:
            for e in x.children():
                if type(e) is Node:
                    add_name(e.name)
                else:
                    push(e)
    return out


def struct_eq(a: Expr, b: Expr) -> bool:
    """Structural equality, each (a-subexpression, b-subexpression) pair compared once."""
    done: set[tuple[int, int]] = set()
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if x is y or (id(x), id(y)) in done:
            continue
        if type(x) is not type(y) or hash(x) != hash(y):
            return False
        done.add((id(x), id(y)))
        if isinstance(x, Affine):
            if x.const != y.const or len(x.terms) != len(y.terms):
                return False
            for (ex, wx), (ey, wy) in zip(x.terms, y.terms):
                if wx != wy:
                    return False
                stack.append((ex, ey))
        elif isinstance(x, (Const, Node)):
            if x._fields() != y._fields():
                return False
        else:
            stack.extend(zip(x.children(), y.children()))
    return True


STR_LIMIT = 1000  # characters of str(expr); longer texts end in "…"


def format_expr(e: Expr, limit: int | None = STR_LIMIT) -> str:
    """The text of ``e`` (what ``str(e)`` shows), built bottom-up without recursion and cut
    to ``limit`` characters at every level, so deep expressions and shared DAGs (whose
    written-out form grows exponentially) print in time linear in their distinct
    subexpressions. ``limit=None``: the full text."""
    memo: dict[int, str] = {}
    for sub in e.walk():
        t = sub._text(memo)
        memo[id(sub)] = t if limit is None or len(t) <= limit else t[:limit] + "…"
    return memo[id(e)]


def walk_expr(root: Expr):
    """Every distinct subexpression of ``root``, each once (post-order, children right to left)."""
    seen: set[int] = set()
    stack: list[tuple[Expr, bool]] = [(root, False)]
    while stack:
        e, expanded = stack.pop()
        if id(e) in seen:
            continue
        if expanded:
            seen.add(id(e))
            yield e
        else:
            stack.append((e, True))
            for c in e.children():
                stack.append((c, False))


def evaluate_expr(root: Expr, env, arith):
    """``root`` evaluated under an arithmetic, every distinct subexpression once."""
    memo: dict[int, object] = {}
    for e in walk_expr(root):
        memo[id(e)] = e._eval(env, arith, memo)
    return memo[id(root)]
