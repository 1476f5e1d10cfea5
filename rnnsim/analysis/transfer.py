"""Transfer functions of the range analysis: one abstract evaluation rule per expression kind
(THEORY §5; the IR of :mod:`rnnsim.expr`).

Every rule maps abstract values of the inputs (:class:`rnnsim.analysis.values.AV`) to a
sound abstract value of the result — exact range, integrality and Fixed-point error
(exact rational arithmetic; u = 2^−f is the grid step, Q the truncation):

* Const c: [c, c], err |c − Q(c)|. ReLU: [max(lo, 0), max(hi, 0)], err unchanged (1-Lipschitz).
* Affine Σ w_i t_i + c: interval sum; err Σ|Q(w_i)|·err_i + Σ|w_i − Q(w_i)|·max|t_i| + |c − Q(c)|
  + u, the last u dropped when the sum is on the grid (integer weights, or integer exact terms).
* Prod a·b: interval product; err |a|·err_b + |b|·err_a + err_a·err_b + u (no u when one factor
  is an exact integer). Recip 1/a with |a| ≥ m > err_a: err err_a/(m(m − err_a)) + u.
* Exact enumeration: a transition whose inputs are all exact integers with a small joint range
  is evaluated on every combination, exactly and in Fixed (err = the largest difference).
* Case split on 0/1 factors: an Affine Σ_g w_g·F_g·D_g + rest whose factors F_g are exact 0/1
  values (gates, LOAD/RUN/HOLD controls, ite conditions) is evaluated under every assignment of
  the F_g that can occur — found by enumerating the F_g's nodes' transitions one step back over
  their (integer) ranges, plus the initial values — and the hulls/maxima are taken. This is
  what makes gated hold loops (u ← c_run·f + c_hold·u) and ite(b, new, u) keep their range.
* Piecewise-linear grouping: ReLU terms whose arguments share one linear form L (gadgets
  ge/le/eq, counters c + 1 − m·ge(c, m−1)) are evaluated as a function of the scalar L,
  exactly at the breakpoints and the ends of L's range.
* Declared ranges are assumed (intersected): the nodes a builder declared Boolean
  (``RNN.boolean_nodes``, e.g. a PFA's one-hot state, whose one-hotness is relational)
  get [0, 1], and ``declared={glob: (lo, hi)}`` adds quantities whose bound is a relational
  argument (e.g. Claim 9's accumulators Σ_s u·v·1 ≤ 1); the bit-size check (d) measures them.

Every result is rounded outward (:func:`rnnsim.analysis.values.round_outward`) and
intersected with the node's declared range.

:class:`Transfer` holds the rules and the per-node step :meth:`Transfer.node_value`; the
iteration over time (fixed point with widening, or a finite horizon) is
:mod:`rnnsim.analysis.fixpoint`, so a different iteration (per counter phase, several
rounds) reuses these rules unchanged.
"""

from __future__ import annotations

import fnmatch
from fractions import Fraction
from typing import Mapping

from ..arith import Fixed
from ..expr import Affine, Const, Expr, Node, Prod, Recip, ReLU, affine
from .states import JointStates
from .values import AV, INF, isint, mul, round_outward


class Transfer(JointStates):
    """The abstract evaluation of transitions of one network under one format (or exact)."""

    def __init__(self, rnn, fmt: Fixed | None, declared: Mapping, enum_cap: int,
                 recip_floor: Mapping | None = None, *, exclusive=()):
        self.rnn, self.fmt, self.enum_cap = rnn, fmt, enum_cap
        self.exclusive = set(exclusive)
        self.frozen: dict = {}
        self.recip_floor = {n: Fraction(m) for n in rnn.nodes for pat, m in (recip_floor or {}).items()
                            if n == pat or fnmatch.fnmatchcase(n, pat)}
        self._current = None
        self.per_time = False   # env holds the values at one time t (not a union over t)
        self.ulp = Fraction(1, fmt.scale) if fmt else 0
        self.declared = {n: (Fraction(0), Fraction(1)) for n in rnn.boolean_nodes}
        for n in rnn.nodes:
            for pat, (lo, hi) in (declared or {}).items():
                if n == pat or fnmatch.fnmatchcase(n, pat):
                    self.declared[n] = (Fraction(lo), Fraction(hi))
        self.inputs = set(rnn.inputs)
        self._spec: dict = {}
        self._fns: dict = {}
        self._enum_cache: dict = {}
        self._reads_cache: dict = {}
        self._sides_cache: dict = {}
        self._node_reads: dict = {}
        self._node_memo: dict = {}

    def q(self, c):
        return self.fmt.quantize(c) if self.fmt else c

    def cerr(self, c):
        return abs(c - self.q(c)) if self.fmt else 0

    def eval(self, e: Expr, env, memo) -> AV:
        key = id(e)
        if key in memo:
            return memo[key]
        if isinstance(e, Const):
            v = e.value
            r = AV(v, v, isint(v), self.cerr(v))
        elif isinstance(e, Node):
            r = env[e.name]
        elif isinstance(e, ReLU):
            a = self.eval(e.arg, env, memo)
            r = AV(max(a.lo, 0), max(a.hi, 0), a.integer, a.err)
        elif isinstance(e, Prod):
            r = self._prod(self.eval(e.left, env, memo), self.eval(e.right, env, memo))
        elif isinstance(e, Recip):
            r = self._recip(self.eval(e.arg, env, memo))
        elif isinstance(e, Affine):
            r = self._affine(e, env, memo)
        else:  # pragma: no cover
            raise TypeError(type(e))
        memo[key] = r
        return r

    def _prod(self, a: AV, b: AV) -> AV:
        cands = [mul(x, y) for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
        exact_int = (a.integer and a.err == 0) or (b.integer and b.err == 0)
        err = mul(a.maxabs, b.err) + mul(b.maxabs, a.err) + mul(a.err, b.err)
        if self.fmt and not exact_int:
            err += self.ulp
        return AV(min(cands), max(cands), a.integer and b.integer, err)

    def _recip(self, a: AV) -> AV:
        floor = self.recip_floor.get(self._current)
        if floor is not None and a.hi >= floor:
            a = AV(max(a.lo, floor), a.hi, a.integer, a.err)
        if a.lo - a.err > 0 or a.hi + a.err < 0:
            m = min(abs(a.lo), abs(a.hi))
            lo, hi = sorted((Fraction(1) / a.lo if a.lo not in (INF, -INF) else 0,
                             Fraction(1) / a.hi if a.hi not in (INF, -INF) else 0))
            err = a.err / (m * (m - a.err)) if a.err != INF else INF
            return AV(lo, hi, False, err + (self.ulp if self.fmt else 0))
        return AV(-INF, INF, False, INF)

    def _top_exclusive(self, e) -> bool:
        """``e`` is the transition of a node declared exclusive (its gated terms are one-hot):
        a plain enumeration would combine controls that never hold together."""
        return self._current in self.exclusive and e is self.rnn.transitions.get(self._current)

    def _affine(self, e: Affine, env, memo) -> AV:
        enum = None if self._top_exclusive(e) else self._enumerate(e, e, sorted(self._reads(e)), env)
        if enum is not None:
            return enum
        split = self._case_split(e, env, memo)
        if split is not None:
            return split
        terms = [(self.eval(t, env, memo), w) for t, w in e.terms]
        lo, hi = self._pwl(e, env, memo)
        return AV(lo, hi, self._affine_int(e, terms), self._affine_err(e, terms))

    def _affine_int(self, e: Affine, terms) -> bool:
        return isint(e.const) and all(isint(w) and a.integer for a, w in terms)

    def _affine_err(self, e: Affine, terms, scale=None):
        """Error of Q(Σ Q(w)·t̃ + Q(c)); ``scale[i]`` ∈ {0, 1} switches a term off (case split)."""
        if not self.fmt:
            return 0
        err = self.cerr(e.const)
        on_grid = True
        for i, (a, w) in enumerate(terms):
            if scale is not None and scale[i] == 0:
                continue
            qw = self.q(w)
            err += mul(abs(qw), a.err) + mul(abs(w - qw), a.maxabs)
            if not (isint(qw) or (a.integer and a.err == 0)):
                on_grid = False
        return err if on_grid else err + self.ulp

    def _plain(self, e: Affine, env, memo):
        return self._interval_sum(e.terms, e.const, env, memo)

    def _interval_sum(self, terms, const, env, memo):
        """Range of Σ w·t + const by interval arithmetic, term by term."""
        lo = hi = const
        for t, w in terms:
            a = self.eval(t, env, memo)
            x, y = mul(w, a.lo), mul(w, a.hi)
            lo, hi = lo + min(x, y), hi + max(x, y)
        return lo, hi

    def _pwl(self, e: Affine, env, memo):
        """Range of an Affine by grouping ReLU terms with a common linear argument form."""
        groups: dict = {}
        rest = []
        for t, w in e.terms:
            if isinstance(t, ReLU):
                lin, c = _linear(t.arg)
                if lin:
                    key, s = _normalize(lin)
                    groups.setdefault(key, []).append((w, s, c))
                    continue
            rest.append((t, w))
        if not groups:
            return self._plain(e, env, memo)
        # bare terms that are a multiple of a group's linear form join that group (slope β)
        slope = {k: 0 for k in groups}
        if rest:
            lin = dict((t, w) for t, w in rest if not isinstance(t, (Const,)))
            key, s = _normalize(lin)
            if key in groups and len(lin) == len(rest):
                slope[key] = s
                rest = []
        lo = hi = e.const
        for key, items in groups.items():
            L = self._interval_sum(key, 0, env, memo) if key else (0, 0)
            glo, ghi = _pwl_range(items, slope[key], L)
            lo, hi = lo + glo, hi + ghi
        rlo, rhi = self._interval_sum(rest, 0, env, memo)
        return lo + rlo, hi + rhi

    def _case_split(self, e: Affine, env, memo):
        """Hull over the feasible assignments of the exact 0/1 factors of Prod terms."""
        factors: list[Expr] = []
        pos: list[tuple[int, int, Expr]] = []  # (term index, factor index, other side)
        for i, (t, w) in enumerate(e.terms):
            if isinstance(t, Prod):
                for f, other in ((t.left, t.right), (t.right, t.left)):
                    if self.eval(f, env, memo).exact_bool:
                        if f not in factors:
                            factors.append(f)
                        pos.append((i, factors.index(f), other))
                        break
        if not factors or len(factors) > 8:
            return None
        assigns = self._feasible(factors, env)
        if self._top_exclusive(e):
            # Lemma 10: at most one gated term of this node is active (exactly one when every
            # term is gated and there is no constant)
            every = e.const == 0 and len(pos) == len(e.terms)
            assigns = [a for a in assigns if (sum(a) == 1 if every else sum(a) <= 1)] or assigns
        terms = [(self.eval(t, env, memo), w) for t, w in e.terms]
        out = None
        by_term = {i: (fi, other) for i, fi, other in pos}
        for a in assigns:
            pairs = []
            scale = []
            sub_terms = []
            for i, (t, w) in enumerate(e.terms):
                if i in by_term:
                    fi, other = by_term[i]
                    scale.append(a[fi])
                    if a[fi]:
                        pairs.append((other, w))
                        sub_terms.append((self.eval(other, env, memo), w))
                    else:
                        sub_terms.append((terms[i][0], w))
                else:
                    scale.append(1)
                    pairs.append((t, w))
                    sub_terms.append((terms[i][0], w))
            spec_key = (id(e), a)
            if spec_key not in self._spec:
                fixed = {f.name: Const(a[i]) for i, f in enumerate(factors) if isinstance(f, Node)}
                self._spec[spec_key] = (e, affine(pairs, e.const).substitute(fixed))
            se = self._spec[spec_key][1]
            r = self.eval(se, env, memo)
            err = self._affine_err(e, sub_terms, scale)
            integer = self._affine_int(e, terms)
            r = AV(r.lo, r.hi, integer and r.integer, err)
            out = r if out is None else out.join(r)
        return out

    def clamp(self, u: str, r: AV) -> AV:
        if u in self.declared:
            lo, hi = self.declared[u]
            return AV(max(r.lo, lo), min(r.hi, hi), r.integer, r.err)
        return r

    def node_value(self, u: str, env) -> AV:
        f = self.rnn.transitions[u]
        reads = self._node_reads.get(u)
        if reads is None:
            reads = self._node_reads[u] = sorted(self._reads(f))
        if self.per_time:
            # at one time t the value depends on the reads' values only (no unrolling): most
            # nodes of a long schedule see the same inputs at many times (counters, holds)
            key = (u, tuple(env[n] for n in reads))
            got = self._node_memo.get(key)
            if got is None:
                got = self._node_memo[key] = self._node_value(u, f, reads, env)
            return got
        return self._node_value(u, f, reads, env)

    def _node_value(self, u: str, f, reads, env) -> AV:
        self._current = u
        r = None if u in self.exclusive else self._enumerate(u, f, reads, env)
        if r is None:
            r = self.eval(f, env, {})
        r = AV(round_outward(r.lo, -1), round_outward(r.hi, 1), r.integer, round_outward(r.err, 1))
        return self.clamp(u, r)


def _linear(e: Expr):
    """e = Σ w·t + c with t non-Const → ({t: w}, c) (Node/Affine/others as one term)."""
    if isinstance(e, Affine):
        return dict(e.terms), e.const
    if isinstance(e, Const):
        return {}, e.value
    return {e: 1}, 0


def _normalize(lin: dict):
    """(key, s): lin = s·L with L's coefficients normalised (first term by str order has 1)."""
    if not lin:
        return (), 0
    first = min(lin, key=str)
    s = lin[first]
    key = tuple(sorted(((t, Fraction(w) / s) for t, w in lin.items()), key=lambda tw: str(tw[0])))
    return key, s


def _pwl_range(items, beta, L):
    """Range of g(s) = β·s + Σ w·relu(λ·s + c) over s ∈ [L0, L1] (items: (w, λ, c))."""
    s0, s1 = L
    pts = set()
    for w, lam, c in items:
        bp = Fraction(-c) / lam
        if s0 <= bp <= s1:
            pts.add(bp)
    finite = [p for p in (s0, s1) if p not in (INF, -INF)]
    pts.update(finite)

    def g(s):
        return mul(beta, s) + sum((mul(w, max(mul(lam, s) + c, 0)) for w, lam, c in items), 0)

    vals = [g(p) for p in pts]
    # slopes beyond the breakpoints, for unbounded ends
    for end, sign in ((s0, -1), (s1, 1)):
        if end in (INF, -INF):
            slope = beta + sum((w * lam for w, lam, c in items if (lam > 0) == (sign > 0)), 0)
            if slope != 0:
                vals.append(INF if slope * sign > 0 else -INF)
            elif not vals:
                vals.append(0)
    if not vals:
        vals = [g(0)]
    return min(vals), max(vals)
