"""Bit size of a network in fixed point (paper: Definition 4, Lemma 12 / Claims 9–10, Theorem 2; THEORY §5).

Lemma 12 (project form). A network run in ``Fixed(i, f)`` (1 sign bit, i integer bits, f
fractional bits; every constant and every elementary operation truncated toward zero to
the grid 2^−f) computes its exact function up to a small error when (Claim 9) i is at
least the integer bits of the largest |value| any node takes, and (Claim 10) f is large
enough that the accumulated truncation errors stay below δ at the output; then (Lemma 16)
the next-token loss of the quantized LM exceeds the exact one by at most −log(1 − δ/μ)
when every exact conditional is ≥ μ > 2δ.

How this module gets i and f without simulating (abstract interpretation over the IR).
Every node u gets an abstract value (lo_u, hi_u, int_u, err_u): every exact value v_t(u) at
every time t (for every input stream) lies in [lo_u, hi_u], is an integer when int_u, and
the value ṽ_t(u) of the Fixed run satisfies |ṽ_t(u) − v_t(u)| ≤ err_u. Starting from the
initial values (inputs: [0, b−1], integers, exact), one abstract step evaluates every
transition on the abstract values and joins the result into the node's value; after n
steps the values bound all times ≤ n, and a fixed point bounds all times. Rules (exact
rational arithmetic; u = 2^−f is the grid step, Q the truncation):

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
  (``meta["boolean_nodes"]``, e.g. a PFA's one-hot state, whose one-hotness is relational)
  get [0, 1], and ``declared={glob: (lo, hi)}`` adds quantities whose bound is a relational
  argument (e.g. Claim 9's accumulators Σ_s u·v·1 ≤ 1). Check (d) measures them.

Two iteration modes. *All times* (default): the union values are iterated to a fixed
point; a bound still moving after ``widen_after`` steps is widened to the next power of two
(lo first to 0; err to the next 2^j·u), a fourth widening sends it to ±∞ — sound, and exact
for contracting loops. *Horizon* (``horizon=N`` tokens): an abstract simulation, env_t =
the values at time t exactly (over all inputs), for t ≤ N·τ; counters and controls that
do not depend on the input stay single values, so gated updates follow the real schedule
(an accumulator's error only grows on the steps where it adds, and is reset with it).
Bounds then hold for documents of length ≤ N. Rationals are rounded outward to 64
significant bits, |x| > 2^80 counts as unbounded and |x| < 2^−300 is rounded to 0/±2^−300.

Integer bits of u: the least i with max|ṽ| < 2^i, max|ṽ| ≤ max(|lo_u|, |hi_u|) + err_u.
:func:`choose_format` picks the least f with err_output ≤ δ (and i = max(1, max_u i_u), so
the format is self-consistent: no node overflows).

What this gives for ``boosting.boost`` (Claims 9 and 10, project form; checked by the tests
and printed by ``rnnsim demo``). Integer bits: counters need the bits of their modulus
(cnt.p ≤ its bound), digits, stored tokens and controls 1, every probability-like node
(R's copies, u = Π q, v = e^{−ηd}) at most 1, and the accumulators Σ_n u·v·1 ≤ 1 (declared
by :func:`boosted_assumptions`: the paper's 2^k is not needed since Σ_s q(s|x_<j) = 1).
Fractional bits: with e_q the error of R's output copy and u = 2^−f, the product of the k
digit probabilities has error ≤ k·(e_q + u) (Lemma 13 plus one truncation per product), each
accumulator adds at most 2^k such terms, e_acc ≤ 2^k·(k(e_q + u) + 2u); the output
num/den with den ≥ m = e^−η·μ^{k−1} and num ≤ den has error ≤ 2·e_acc/(m − e_acc) + 2u
(Lemma 14's ratio perturbation plus the Recip and Prod truncations), i.e. O(2^k·k·u/m):
f = log2(1/δ) + k + log2 k + log2(1/m) + O(1) bits suffice. The analysis follows the same
steps with interval arithmetic and the actual values; for the last one it uses
|num|·err(1/den) + err(num)/den ≤ e/(m(m − e)) + e/m, a factor ≈ 1/m larger than Lemma 14
because intervals do not know num ≤ den — a bound that is proved, not the tightest one.

Checks (THEORY §5, using the simulator): (a) :func:`check_no_overflow`, (b)
:func:`check_output_error`, (c) :func:`check_loss` (Lemma 16), (d) :func:`check_measured_bits`.
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import product
from typing import Iterable, Mapping

import numpy as np

from rnnsim import Fixed
from rnnsim.arith import EXACT, parse_arithmetic
from rnnsim.expr import Affine, Const, Expr, Node, Prod, Recip, ReLU, _affine_sum
from rnnsim.registry import realizes

INF = math.inf
_HUGE = 2 ** 80   # bounds beyond this are treated as unbounded (no fixed format holds them)
_TINY = Fraction(1, 2 ** 300)
_STMT = ("integer bits from value ranges, fractional bits from the error propagation bound; the Fixed run "
         "does not overflow, its outputs are within δ, and its loss within −log(1−δ/μ) (Lemma 16)")


@dataclass(frozen=True)
class AV:
    """Abstract value: exact values in [lo, hi] (integers when ``integer``), Fixed values
    within ``err`` of them. lo/hi are ints/Fractions or ±inf."""

    lo: object
    hi: object
    integer: bool
    err: object = 0

    @property
    def maxabs(self):
        return max(abs(self.lo), abs(self.hi))

    @property
    def exact_bool(self) -> bool:
        return self.integer and self.err == 0 and self.lo >= 0 and self.hi <= 1

    def join(self, o: "AV") -> "AV":
        return AV(min(self.lo, o.lo), max(self.hi, o.hi), self.integer and o.integer, max(self.err, o.err))


def _mul(a, b):
    return 0 if a == 0 or b == 0 else a * b


def _isint(v) -> bool:
    return isinstance(v, int) or (isinstance(v, Fraction) and v.denominator == 1)


def int_bits_for(maxabs) -> int:
    """Least i ≥ 0 with maxabs < 2^i (∞ for an unbounded value)."""
    if maxabs == INF:
        return INF
    m = Fraction(maxabs)
    i = 0
    while m >= (1 << i):
        i += 1
    return i


class Unbounded(ValueError):
    """The analysis could not bound a node (named) — declare its range or give a horizon."""


@dataclass
class Analysis:
    """Result of :func:`analyze`."""

    rnn: object
    fmt: Fixed | None
    values: dict[str, AV]
    steps: int
    converged: bool
    widened: list[str] = field(default_factory=list)
    declared: dict[str, tuple] = field(default_factory=dict)
    horizon: int | None = None
    images: dict[str, AV] = field(default_factory=dict)   # ranges over times t ≥ 1 only

    def int_bits(self, node: str) -> int:
        v = self.values[node]
        return int_bits_for(v.maxabs + v.err)

    def node_bits(self) -> dict[str, int]:
        return {n: self.int_bits(n) for n in self.values}

    @property
    def claimed_int_bits(self) -> int:
        """max(1, max_u i_u): the integer bits of a format in which no node overflows."""
        worst = max(self.node_bits().items(), key=lambda kv: kv[1])
        if worst[1] == INF:
            raise Unbounded(
                f"node {worst[0]!r} of {self.rnn.name!r} is unbounded by the analysis "
                f"({self.values[worst[0]]}); declare its range (declared={{...}}) or pass a horizon")
        return max(1, worst[1])

    @property
    def output_error(self):
        return self.values[self.rnn.output].err

    def unbounded(self) -> list[str]:
        return [n for n, v in self.values.items() if v.maxabs == INF or v.err == INF]


class _Analyzer:
    def __init__(self, rnn, fmt: Fixed | None, declared: Mapping, enum_cap: int,
                 recip_floor: Mapping | None = None):
        self.rnn, self.fmt, self.enum_cap = rnn, fmt, enum_cap
        self.recip_floor = {n: Fraction(m) for n in rnn.nodes for pat, m in (recip_floor or {}).items()
                            if n == pat or fnmatch.fnmatchcase(n, pat)}
        self._current = None
        self.per_time = False   # env holds the values at one time t (not a union over t)
        self.ulp = Fraction(1, fmt.scale) if fmt else 0
        self.declared = {n: (Fraction(0), Fraction(1)) for n in rnn.meta.get("boolean_nodes", ())
                         if n in rnn.transitions}
        for n in rnn.nodes:
            for pat, (lo, hi) in (declared or {}).items():
                if n == pat or fnmatch.fnmatchcase(n, pat):
                    self.declared[n] = (Fraction(lo), Fraction(hi))
        self.inputs = set(rnn.inputs)
        self._spec: dict = {}
        self._fns: dict = {}
        self._enum_cache: dict = {}

    # ---- constants under the format
    def q(self, c):
        return self.fmt.quantize(c) if self.fmt else c

    def cerr(self, c):
        return abs(c - self.q(c)) if self.fmt else 0

    # ---- expressions
    def eval(self, e: Expr, env, memo) -> AV:
        key = id(e)
        if key in memo:
            return memo[key]
        if isinstance(e, Const):
            v = e.value
            r = AV(v, v, _isint(v), self.cerr(v))
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
        cands = [_mul(x, y) for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
        exact_int = (a.integer and a.err == 0) or (b.integer and b.err == 0)
        err = _mul(a.maxabs, b.err) + _mul(b.maxabs, a.err) + _mul(a.err, b.err)
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

    def _affine(self, e: Affine, env, memo) -> AV:
        enum = self._enumerate(e, e, sorted(e.nodes()), env)
        if enum is not None:
            return enum
        split = self._case_split(e, env, memo)
        if split is not None:
            return split
        terms = [(self.eval(t, env, memo), w) for t, w in e.terms]
        lo, hi = self._pwl(e, env, memo)
        return AV(lo, hi, self._affine_int(e, terms), self._affine_err(e, terms))

    def _affine_int(self, e: Affine, terms) -> bool:
        return _isint(e.const) and all(_isint(w) and a.integer for a, w in terms)

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
            err += _mul(abs(qw), a.err) + _mul(abs(w - qw), a.maxabs)
            if not (_isint(qw) or (a.integer and a.err == 0)):
                on_grid = False
        return err if on_grid else err + self.ulp

    def _plain(self, e: Affine, env, memo):
        lo = hi = e.const
        for t, w in e.terms:
            a = self.eval(t, env, memo)
            x, y = _mul(w, a.lo), _mul(w, a.hi)
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
            L = self._plain(Affine(tuple(key), 0), env, memo) if key else (0, 0)
            glo, ghi = _pwl_range(items, slope[key], L)
            lo, hi = lo + glo, hi + ghi
        for t, w in rest:
            a = self.eval(t, env, memo)
            x, y = _mul(w, a.lo), _mul(w, a.hi)
            lo, hi = lo + min(x, y), hi + max(x, y)
        return lo, hi

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
                self._spec[spec_key] = (e, _affine_sum(pairs + [(Const(e.const), 1)]).substitute(fixed))
            se = self._spec[spec_key][1]
            r = self.eval(se, env, memo)
            err = self._affine_err(e, sub_terms, scale)
            integer = self._affine_int(e, terms)
            r = AV(r.lo, r.hi, integer and r.integer, err)
            out = r if out is None else out.join(r)
        return out

    def _feasible(self, factors: list[Expr], env) -> list[tuple[int, ...]]:
        """Assignments of the 0/1 factors that can occur (every joint state of their nodes,
        see :meth:`_joint`); all 2^r when the states cannot be enumerated."""
        nodes = sorted(set().union(*[f.nodes() for f in factors]))
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
        back = sorted(set().union(*[rnn.transitions[n].nodes() for n in unroll])) if unroll else []
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
            fn = self._fns[key] = (e, _compile(e, fmt))
        return fn[1]

    def _unrollable(self, n: str, env) -> bool:
        """A 0/1 node computed from small exact integers and not itself gated by a varying 0/1
        node (a gated node's previous controls would be free variables one step back)."""
        if n in self.inputs or not env[n].exact_bool:
            return False
        f = self.rnn.transitions[n]
        if not all(self._small(env[m]) for m in f.nodes()):
            return False
        for e in f.walk():
            if isinstance(e, Prod):
                for side in (e.left, e.right):
                    if isinstance(side, Node) and env[side.name].exact_bool and env[side.name].lo != env[side.name].hi:
                        return False
        return True

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

    def clamp(self, u: str, r: AV) -> AV:
        if u in self.declared:
            lo, hi = self.declared[u]
            return AV(max(r.lo, lo), min(r.hi, hi), r.integer, r.err)
        return r

    # ---- one node
    def node_value(self, u: str, env) -> AV:
        f = self.rnn.transitions[u]
        self._current = u
        reads = sorted(f.nodes())
        r = self._enumerate(u, f, reads, env)
        if r is None:
            r = self.eval(f, env, {})
        r = AV(_round(r.lo, -1), _round(r.hi, 1), r.integer, _round(r.err, 1))
        return self.clamp(u, r)

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
                integer = all(_isint(v) for v in vals)
                err = max(abs(ff(st) - v) for st, v in zip(states, vals)) if ff else 0
                out = AV(min(vals), max(vals), integer, err)
            except ZeroDivisionError:
                out = None
        self._enum_cache[key] = out
        return out


def _compile(e: Expr, fmt=None):
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
        return _mul(beta, s) + sum((_mul(w, max(_mul(lam, s) + c, 0)) for w, lam, c in items), 0)

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


@realizes("Claim 9", "integer bits from value ranges", bound="least i with max|v| < 2^i")
@realizes("Lemma 12", _STMT, bound="int bits from value ranges; err_out ≤ δ; L(q̃) − L(q') ≤ −log(1 − δ/μ)")
def analyze(rnn, arithmetic=None, *, horizon: int | None = None, declared: Mapping | None = None,
            recip_floor: Mapping | None = None, input_range=None, enum_cap: int = 4096,
            widen_after: int = 60, max_steps: int = 100_000, per_time: bool = True) -> Analysis:
    """Abstract interpretation of ``rnn`` (module docstring). ``arithmetic``: None/"exact"
    (ranges only) or a Fixed format (ranges and error bounds). ``horizon``: documents of at
    most this many tokens (exact step count, no widening). ``declared``: {node or glob:
    (lo, hi)} assumed ranges. ``recip_floor``: {node or glob: m} — inside these nodes'
    transitions every reciprocal's argument is assumed ≥ m (a relational fact such as
    Lemma 3's denominator ≥ e^−η·μ^{k−1}). ``input_range``: (lo, hi) of the input node."""
    fmt = None if arithmetic in (None, "exact") else parse_arithmetic(arithmetic)
    if fmt is not None and not isinstance(fmt, Fixed):
        raise ValueError(f"analyze: arithmetic must be exact or a Fixed format, got {fmt}")
    an = _Analyzer(rnn, fmt, declared or {}, enum_cap, recip_floor)
    lo_in, hi_in = (0, rnn.alphabet - 1) if input_range is None else input_range
    env: dict[str, AV] = {}
    for n in rnn.nodes:
        if n in an.inputs:
            env[n] = AV(0, 1, True, 0) if rnn.input_encoding == "onehot" else AV(lo_in, hi_in, True, 0)
        else:
            v = rnn.init[n]
            env[n] = AV(v, v, _isint(v), an.cerr(v))
    succ: dict[str, set[str]] = {n: set() for n in rnn.nodes}
    for u, f in rnn.transitions.items():
        for v in f.nodes():
            succ[v].add(u)
    limit = max_steps if horizon is None else horizon * rnn.tau
    if horizon is not None and per_time:
        return _per_time(an, rnn, env, limit, horizon)
    active = set(rnn.transitions)
    widened: list[str] = []
    steps = 0
    growing_since: dict[str, int] = {}
    n_widen: dict[str, int] = {}
    while active and steps < limit:
        steps += 1
        new = {u: env[u].join(an.node_value(u, env)) for u in active}
        changed = {u for u, v in new.items() if v != env[u]}
        if horizon is None:
            for u in list(growing_since):
                if u not in changed:
                    del growing_since[u]
            for u in changed:
                growing_since.setdefault(u, steps)
                # first widening after `widen_after` steps of growth, later ones sooner; a
                # node widened 4 times goes to ±∞ (thresholds are for contracting loops)
                wait = widen_after if u not in n_widen else 3
                if steps - growing_since[u] >= wait:
                    n_widen[u] = n_widen.get(u, 0) + 1
                    w = _widen(env[u], new[u], an.ulp)
                    if n_widen[u] >= 4:
                        w = _infinite(env[u], w)
                    new[u] = an.clamp(u, w)
                    widened.append(u)
                    del growing_since[u]
        env.update({u: new[u] for u in changed})
        active = set().union(*[succ[u] for u in changed]) if changed else set()
    images = {u: an.node_value(u, env) for u in rnn.transitions}
    return Analysis(rnn, fmt, env, steps, not active, sorted(set(widened)), dict(an.declared), horizon, images)


def _per_time(an: "_Analyzer", rnn, env: dict, limit: int, horizon: int) -> Analysis:
    """Abstract simulation for a finite horizon: env_t bounds the values at time t exactly
    (over all input streams), env_{t+1}(u) = f_u(env_t); the result joins env_0 … env_T.
    Input-independent nodes (counters, controls) stay single values, so every gated update
    follows the actual schedule (accumulators reset when their LOAD fires, errors do not
    pile up over holds)."""
    an.per_time = True
    total = dict(env)
    cur = dict(env)
    steps = 0
    for steps in range(1, limit + 1):
        nxt = {u: an.node_value(u, cur) for u in rnn.transitions}
        if all(nxt[u] == cur[u] for u in nxt):
            steps -= 1
            break          # stationary: every later state is the same
        cur.update(nxt)
        for u, v in nxt.items():
            total[u] = total[u].join(v)
    an.per_time = False
    images = {u: an.node_value(u, total) for u in rnn.transitions}
    return Analysis(rnn, an.fmt, total, steps, True, [], dict(an.declared), horizon, images)


def _round(x, direction: int, bits: int = 64):
    """x rounded outward (direction −1: down, +1: up) to ``bits`` significant bits, so that
    the rationals of the analysis keep a bounded size (ints, ±∞ and short dyadics unchanged)."""
    if x in (INF, -INF):
        return x
    if abs(x) > _HUGE:
        return INF if x > 0 else -INF
    if isinstance(x, int):
        return x
    x = Fraction(x)
    if abs(x) < _TINY:  # keep exponents bounded: round outward to 0 or ±2^−300
        if x > 0:
            return _TINY if direction > 0 else 0
        if x < 0:
            return 0 if direction > 0 else -_TINY
        return 0
    if x.denominator == 1 or (x.denominator & (x.denominator - 1) == 0 and x.denominator.bit_length() <= 2 * bits
                              and abs(x.numerator).bit_length() <= bits):
        return x
    e = abs(x.numerator).bit_length() - x.denominator.bit_length()
    s = bits - e
    scaled = x * (Fraction(2) ** s)
    m = math.floor(scaled) if direction < 0 else math.ceil(scaled)
    return Fraction(m) / (Fraction(2) ** s)


def _widen(old: AV, new: AV, ulp) -> AV:
    """Widening with thresholds: a bound still moving jumps to the next power of two (lo to 0
    first, err to the next 2^j·ulp), and to ±∞ beyond 2^64."""
    def up(v):
        if v <= 0:
            return 0 if v == 0 else -_pow2_below(-v)
        return _pow2_above(v)

    lo, hi, err = new.lo, new.hi, new.err
    if new.hi > old.hi:
        hi = up(new.hi)
    if new.lo < old.lo:
        lo = 0 if new.lo >= 0 else -_pow2_above(-new.lo)
    if new.err > old.err:
        unit = ulp or 1
        err = _pow2_above(new.err / unit) * unit
    return AV(lo, hi, new.integer, err)


def _infinite(old: AV, new: AV) -> AV:
    return AV(-INF if new.lo < old.lo else new.lo, INF if new.hi > old.hi else new.hi, new.integer,
              INF if new.err > old.err else new.err)


def _pow2_above(v):
    if v == INF or v > 2 ** 64:
        return INF
    j = -200
    while Fraction(2) ** j < v:
        j += 1
    return Fraction(2) ** j


def _pow2_below(v):
    p = _pow2_above(v)
    return p if p == v or p == INF else p / 2


def analyze_exact(rnn, **kw) -> Analysis:
    return analyze(rnn, None, **kw)


def lm_min_prob(lm, **kw):
    """A lower bound μ on every next-token probability an LM RNN outputs: the lower end of
    its output node's range over times t ≥ 1 (:func:`analyze`, exact)."""
    return analyze(lm, **kw).images[lm.output].lo


@realizes("Lemma 12", _STMT)
def boosted_assumptions(net, mu) -> dict:
    """The relational facts of Claim 9 for a network built by ``boosting.boost``, as
    ``analyze`` keyword arguments ({"declared": …, "recip_floor": …}):

    * the accumulators Σ_n u_n·v_n·1(n) (``boost.num``, ``boost.den``) lie in [0, 1]: every
      partial sum is at most Σ_{s∈Σ^k} q(s | x_<j)·1 = 1 since v = e^{−η d} ≤ 1 (η ≥ 0) —
      tighter than the paper's 2^k;
    * the output is a probability, in [0, 1] (num ≤ den: num's strings are among den's);
    * the reciprocal's argument den − fin_in + 1 is ≥ m = min(1, w·μ^{k−1}): when fin_in = 1
      it is den = Σ_{s ⊒ x_j..x_{i−1}} u·v ≥ w·q(x_j..x_{i−1} | x_<j) ≥ w·μ^ℓ, ℓ ≤ k−1
      (w = e^{−η}, μ ≤ every next-token probability of R); otherwise it is den + 1 ≥ 1.
    """
    meta = dict(net.meta)
    comp = meta.get("component_nodes") or {}
    if "acc_num" not in comp or "factor" not in meta:
        raise ValueError(f"network {net.name!r} was not built by boosting.boost (no component_nodes/factor in meta)")
    w, k, mu = Fraction(meta["factor"]), int(meta["k"]), Fraction(mu)
    if not (0 < w <= 1 and 0 < mu <= 1):
        raise ValueError(f"boosted_assumptions needs 0 < e^-η ≤ 1 and 0 < μ ≤ 1 (got {w}, {mu})")
    return {"declared": {comp["acc_num"]: (0, 1), comp["acc_den"]: (0, 1), net.output: (0, 1)},
            "recip_floor": {net.output: min(Fraction(1), w * mu ** (k - 1))}}


@dataclass
class FormatChoice:
    fixed: Fixed
    delta: object
    analysis: Analysis

    @property
    def bits(self) -> int:
        return self.fixed.bits


@realizes("Claim 10", "the least fractional bits with proven output error ≤ δ", bound="err_out ≤ δ")
@realizes("Lemma 12", _STMT)
def choose_format(rnn, delta, *, horizon: int | None = None, declared: Mapping | None = None,
                  max_frac: int = 80, **kw) -> FormatChoice:
    """The least f (and the integer bits of that analysis) with proven output error ≤ δ."""
    delta = Fraction(delta)

    def at(f):
        return analyze(rnn, Fixed(62, f), horizon=horizon, declared=declared, **kw)

    f = max(0, int_bits_for(1 / delta) - 1)
    a = at(f)
    # the error is ≈ C·2^−f for small grids: jump to the estimate, then step
    if a.output_error not in (0, INF) and a.output_error > delta:
        f = min(max_frac, f + max(0, int_bits_for(a.output_error / delta) - 1))
        a = at(f)
    while a.output_error > delta:
        if f >= max_frac:
            raise Unbounded(f"no f ≤ {max_frac} bounds the output error of {rnn.name!r} by {delta} "
                            f"(error bound {a.output_error}); unbounded nodes: {a.unbounded()[:5]}")
        f += 1
        a = at(f)
    while f > 0:  # the least f
        b = at(f - 1)
        if b.output_error > delta:
            break
        f, a = f - 1, b
    return FormatChoice(Fixed(a.claimed_int_bits, f), delta, a)


# ---- checks (THEORY §5 (a)–(d)); they use the simulator --------------------------------------

@realizes("Lemma 12", _STMT, kind="check")
def check_no_overflow(rnn, fmt: Fixed, N: int, engine: str = "auto") -> np.ndarray:
    """(a) run every document of length N in ``fmt`` (overflow policy "raise"); returns the
    raw outputs. Raises FixedPointOverflow (node, time) if any node overflows."""
    import rnnsim

    fmt = Fixed(fmt.int_bits, fmt.frac_bits, "raise")
    return rnnsim.simulate_all(rnn, N, fmt, engine)


@realizes("Lemma 12", _STMT, kind="check")
def check_output_error(rnn, fmt: Fixed, N: int, delta, engine: str = "auto",
                       reference="exact") -> tuple[float, float]:
    """(b) (max over all documents of length N of |Fixed output − exact output|, δ)."""
    import rnnsim

    got = rnnsim.simulate_all(rnn, N, Fixed(fmt.int_bits, fmt.frac_bits), engine)
    ref_engine = "reference" if reference == "exact" else engine
    want = rnnsim.simulate_all(rnn, N, reference, ref_engine)
    return float(np.max(np.abs(got - want))), float(delta)


@realizes("Lemma 16", "q' ≥ μ > 2δ, |q̃ − q'| ≤ δ ⇒ L_p(q̃) − L_p(q') ≤ −log(1 − δ/μ)", kind="check")
def check_loss(rnn, fmt: Fixed, N: int, delta, *, p=None, engine: str = "auto",
               reference: str = "exact") -> dict:
    """(c) next-token loss of the quantized LM vs the exact one, against Lemma 16's bound with
    μ = the least exact conditional (needs μ > 2δ). p defaults to the uniform distribution.
    ``reference="float64"`` takes the unquantized LM from a float64 run (fast engines)."""
    import rnnsim
    from proofs_checks.bounds import lemma16
    from proofs_checks.textdist import LM, Distribution, lm_from_rnn

    exact_lm = lm_from_rnn(rnn, N, "exact", "reference") if reference == "exact" else \
        lm_from_rnn(rnn, N, "float64", engine)
    mu = min(min(lv.reshape(-1)) for lv in exact_lm.levels)
    if not mu > 2 * Fraction(delta):
        raise ValueError(f"check_loss needs μ = {mu} > 2δ = {2 * Fraction(delta)}")
    out = rnnsim.simulate_all(rnn, N, Fixed(fmt.int_bits, fmt.frac_bits), engine)
    b = rnn.alphabet
    levels = [out[:: b ** (N - m - 1), m].reshape(b ** m, b).astype(np.float64) for m in range(N)]
    q_tilde = LM(levels, b, validate=False)
    if p is None:
        p = Distribution(np.full(b ** N, 1.0 / b ** N), b, N)
    diff, bound, d_meas = lemma16(p, q_tilde, exact_lm.to_float(), float(mu))
    return {"loss_diff": diff, "bound": bound, "delta_measured": d_meas, "mu": float(mu),
            "delta": float(delta), "bound_claimed": -math.log1p(-float(delta) / float(mu)),
            "ok": diff <= bound + 1e-12 and d_meas <= float(delta)}


@realizes("Lemma 12", _STMT, kind="check")
def check_measured_bits(rnn, analysis: Analysis, tokens_list: Iterable, fmt: Fixed | None = None) -> dict:
    """(d) max |value| per node over runs (``simulate(track_max=True)``, in ``fmt`` or exact)
    vs the claimed bound max(|lo|, |hi|) + err and the claimed integer bits. Returns
    {"violations": [...], "measured_bits": {node: bits}, "claimed_bits": {node: bits}}."""
    import rnnsim

    arith = "exact" if fmt is None else fmt
    meas: dict[str, Fraction] = {}
    for toks in tokens_list:
        tr = rnnsim.simulate(rnn, list(toks), arith, track_max=True)
        for n, v in tr.max_abs.items():
            meas[n] = max(meas.get(n, 0), Fraction(v))
    claimed = analysis.node_bits()
    viol = []
    for n, m in meas.items():
        v = analysis.values[n]
        bound = v.maxabs + (v.err if fmt is not None else 0)
        if m > bound or int_bits_for(m) > claimed[n]:
            viol.append(f"node {n!r}: measured max |v| = {float(m)} > claimed {float(bound)} "
                        f"({int_bits_for(m)} vs {claimed[n]} integer bits)")
    return {"violations": viol, "measured_bits": {n: int_bits_for(m) for n, m in meas.items()},
            "claimed_bits": claimed, "measured_max": meas}


__all__ = ["AV", "Analysis", "analyze", "choose_format", "boosted_assumptions", "lm_min_prob", "FormatChoice", "int_bits_for", "Unbounded",
           "check_no_overflow", "check_output_error", "check_loss", "check_measured_bits"]
