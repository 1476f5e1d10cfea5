"""Exact evaluation over joint states (the enumeration part of the range analysis, THEORY §5).

When every node a transition reads is an exact integer with a small range, the transition
is evaluated on every joint state of those nodes — exactly and, under a Fixed format, with
every constant and operation quantized — so its range and error are exact rather than
interval bounds. Boolean controls computed from such nodes are *unrolled* one step back
(their value at t ≥ 1 is their transition over the ranges at t − 1, plus the initial
value), which keeps the relations between controls computed from the same counters
(one-hot LOAD/RUN/HOLD, ite conditions). :class:`JointStates` is a mixin of the transfer
functions (:mod:`rnnsim.analysis.transfer`); :func:`compile_expr` turns an expression into
straight-line Python for the enumerations' hot path.
"""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import product

from ..expr import Affine, Const, Expr, Node, Prod, Recip, ReLU
from .values import AV, INF, isint


class JointStates:
    """Joint-state enumeration; needs ``rnn``, ``fmt``, ``enum_cap``, ``inputs``, ``per_time``,
    ``_fns``, ``_enum_cache``, ``_reads_cache`` and ``_sides_cache`` (set by
    :class:`rnnsim.analysis.transfer.Transfer`)."""

    def _feasible(self, factors: list[Expr], env) -> list[tuple[int, ...]]:
        """Assignments of the 0/1 factors that can occur (every joint state of their nodes,
        see :meth:`_joint`); all 2^r when the states cannot be enumerated."""
        nodes = sorted(set().union(*[self._reads(f) for f in factors]))
        key = ("feasible", tuple(id(f) for f in factors), tuple(env[n] for n in nodes))
        if key in self._enum_cache:
            return self._enum_cache[key]
        states = self._joint(nodes, env)
        result = None
        if states is not None:
            fns = [self._fn(f) for f in factors]
            try:
                seen = {tuple(fn(st) for fn in fns) for st in states}
            except ZeroDivisionError:
                seen = {(2,)}
            if all(v in (0, 1) for a in seen for v in a):
                result = sorted(seen)
        if result is None:
            result = [tuple(a) for a in product((0, 1), repeat=len(factors))]
        self._enum_cache[key] = result
        return result

    def _joint(self, nodes: list[str], env):
        """Joint values {node: value} of ``nodes`` covering every reachable state, or None.

        Every node must be an exact integer with a small range. Boolean non-input nodes whose
        transitions read only such nodes are *unrolled*: their value at time t ≥ 1 is their
        transition at t − 1, over the ranges of what it reads (separate variables from the
        time-t ones), and at t = 0 their initial value. This keeps the relations between
        controls computed from the same counters (one-hot LOAD/RUN/HOLD, ite conditions)."""
        if any(not self._small(env[n]) for n in nodes):
            return None
        rnn = self.rnn
        unroll = [] if self.per_time else [n for n in nodes if self._unrollable(n, env)]
        now = [n for n in nodes if n not in unroll]
        back = sorted(set().union(*[self._reads(rnn.transitions[n]) for n in unroll])) if unroll else []
        if self._count(now + back, env) > self.enum_cap:
            unroll, now, back = [], list(nodes), []
            if self._count(now, env) > self.enum_cap:
                return None
        states = []
        ufns = {n: self._fn(rnn.transitions[n]) for n in unroll}
        for vals in product(*[self._range(env[n]) for n in now]):
            cur = dict(zip(now, vals))
            if unroll:
                for bvals in product(*[self._range(env[m]) for m in back]):
                    prev = dict(zip(back, bvals))
                    st = dict(cur)
                    try:
                        for n in unroll:
                            st[n] = ufns[n](prev)
                    except ZeroDivisionError:  # the run stops there (ReciprocalOfZero)
                        continue
                    # a value outside the node's (sound) range cannot occur: the back
                    # variables of that state are not a reachable combination
                    if all(env[n].lo <= st[n] <= env[n].hi for n in unroll):
                        states.append(st)
                st = dict(cur)
                st.update({n: rnn.init[n] for n in unroll})
                states.append(st)
            else:
                states.append(cur)
        return states

    def _fn(self, e: Expr, fmt=None):
        """``e`` compiled to a Python function of a {node: value} mapping (exact, or with
        every constant and operation quantized by ``fmt``) — the enumerations' hot path."""
        key = (id(e), fmt)
        fn = self._fns.get(key)
        if fn is None:
            fn = self._fns[key] = (e, compile_expr(e, fmt))
        return fn[1]

    def _unrollable(self, n: str, env) -> bool:
        """A 0/1 node computed from small exact integers and not itself gated by a varying 0/1
        node (a gated node's previous controls would be free variables one step back)."""
        if n in self.inputs or not env[n].exact_bool:
            return False
        f = self.rnn.transitions[n]
        if not all(self._small(env[m]) for m in self._reads(f)):
            return False
        for side in self._prod_sides(n, f):
            if env[side].exact_bool and env[side].lo != env[side].hi:
                return False
        return True

    def _reads(self, e: Expr) -> frozenset:
        """The nodes ``e`` reads (memoized: expressions are immutable)."""
        got = self._reads_cache.get(id(e))
        if got is None or got[0] is not e:
            got = self._reads_cache[id(e)] = (e, frozenset(e.nodes()))
        return got[1]

    def _prod_sides(self, n: str, f: Expr) -> tuple:
        """Names of the nodes that are a direct factor of a product in ``f`` (memoized)."""
        got = self._sides_cache.get(n)
        if got is None:
            got = self._sides_cache[n] = tuple(side.name for e in f.walk() if isinstance(e, Prod)
                                               for side in (e.left, e.right) if isinstance(side, Node))
        return got

    def _small(self, a: AV) -> bool:
        return a.integer and a.err == 0 and a.lo != -INF and a.hi != INF and a.hi - a.lo < self.enum_cap

    @staticmethod
    def _range(a: AV):
        return range(math.ceil(a.lo), math.floor(a.hi) + 1)

    def _count(self, nodes, env) -> int:
        total = 1
        for n in nodes:
            total *= len(self._range(env[n]))
            if total > self.enum_cap:
                return total
        return total

    def _enumerate(self, u, f, reads, env):
        """Exact range (and, in Fixed, exact error) of ``f`` over every joint state of its
        reads (:meth:`_joint`), or None when they cannot be enumerated."""
        key = (u if isinstance(u, str) else id(u), tuple(env[n] for n in reads))
        if key in self._enum_cache:
            return self._enum_cache[key]
        states = self._joint(reads, env)
        out = None
        if states:
            fx = self._fn(f)
            ff = self._fn(f, self.fmt) if self.fmt else None
            try:
                vals = [fx(st) for st in states]
                integer = all(isint(v) for v in vals)
                err = max(abs(ff(st) - v) for st, v in zip(states, vals)) if ff else 0
                out = AV(min(vals), max(vals), integer, err)
            except ZeroDivisionError:
                out = None
        self._enum_cache[key] = out
        return out


def compile_expr(e: Expr, fmt=None):
    """Straight-line Python code for ``e`` (shared subexpressions computed once)."""
    names = sorted(e.nodes())
    consts: dict[str, object] = {"Q": fmt.quantize if fmt else None, "F": Fraction}
    ref: dict[int, str] = {}
    lines = []

    def cst(v):
        v = fmt.quantize(v) if fmt else v
        nm = f"c{len(consts)}"
        consts[nm] = v
        return nm

    q = (lambda x: f"Q({x})") if fmt else (lambda x: x)
    for k, sub in enumerate(e.walk()):
        if isinstance(sub, Node):
            ref[id(sub)] = f"v[{sub.name!r}]"
            continue
        var = f"t{k}"
        if isinstance(sub, Const):
            rhs = cst(sub.value)
        elif isinstance(sub, Affine):
            parts = [cst(sub.const)] + [f"{cst(w)}*{ref[id(t)]}" for t, w in sub.terms]
            rhs = q(" + ".join(parts))
        elif isinstance(sub, ReLU):
            a = ref[id(sub.arg)]
            rhs = f"({a} if {a} > 0 else 0)"
        elif isinstance(sub, Prod):
            rhs = q(f"{ref[id(sub.left)]}*{ref[id(sub.right)]}")
        elif isinstance(sub, Recip):
            rhs = q(f"F(1)/{ref[id(sub.arg)]}")
        else:  # pragma: no cover
            raise TypeError(type(sub))
        lines.append(f"    {var} = {rhs}")
        ref[id(sub)] = var
    body = "\n".join(lines) or "    pass"
    src = f"def _f(v):\n{body}\n    return {ref[id(e)]}\n"
    ns = dict(consts)
    exec(src, ns)  # noqa: S102 - generated from the expression tree only
    del names
    return ns["_f"]
