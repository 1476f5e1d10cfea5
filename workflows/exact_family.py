"""Workflow: Lemma 4 checked exactly on a nested family with an exact minimizer — inhomogeneous
order-o Markov LMs realized as RNNs (paper: Lemma 4, Algorithm 1; THEORY §3, §9).

The exact minimizer. Over F_o (:mod:`constructions.markov_family`) the loss splits into one
cross-entropy per position and context: N·L_p(q) = −Σ_i Σ_{c,σ} p(C_i = c, x_i = σ)·log q_i(σ|c),
so it is minimized exactly by q*_i(σ | c) = p(x_i = σ | C_i = c) (1/2 where p(C_i = c) = 0),
with L*_o = (1/N)·Σ_i H_p(x_i | C_i). Nested, so L*_0 ≥ L*_1 ≥ … ≥ L*_{N−1} = H(p)/N.

The class sequence. Boosting an LM of F_o with a *window-only* distinguisher (d depends on
x_{j..j+k−1} only, e.g. every pattern set) gives, by Lemma 2, conditionals that depend on
x_{j−o..i−1} for i in a block starting at j (i − j ≤ k − 1), and q' = q elsewhere: boost(F_o) ⊆
F_{o+k−1}. So C_m = F_{o(m)} with o(m) = min(m·max(k−1, 1), N−1) satisfies Lemma 4's hypothesis
for 𝒟 = the window-k pattern sets: every q ∈ C_m with α > ε has boost(q) ∈ C_{m+1} with
L_p(boost(q)) ≤ L_p(q) − g(α) < L_p(q) − g(ε), g(α) = α²M/(2kN) (Lemma 1 with η = α at r*).

:func:`lemma4_exact` checks, for every m up to saturation: L*_m nonincreasing; for the
minimizer q*_m, the largest advantage over 𝒟; when it exceeds 0, the boosted model is built
(Lemma 2 at distribution level), its order is measured (≤ o(m+1)) and its loss compared with
L*_m − g(α) and with L*_{m+1} (the certificate L*_{m+1} ≤ L_p(boost(q*_m))); and Lemma 4's
conclusion: every m ∉ B = {m : L*_m − L*_{m+1} > g(ε)} has max |α| ≤ ε, and |B| ≤ L*_0/g(ε).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

import numpy as np

from constructions.markov_family import contexts, inhomogeneous_markov_lm, inhomogeneous_markov_q
from proofs_checks.boost import best_offset, boosted_conditional
from proofs_checks.lm import LM, Distribution, as_distribution
from proofs_checks.textdist import entropy, next_token_loss
from rnnsim.errors import ConstructionError
from rnnsim.registry import realizes

from .classes import as_class

TOL = 1e-10


def gain(alpha: float, *, k: int, N: int) -> float:
    """g(α) = α²·M/(2kN), M = N − k + 1: the per-token loss gain of one boosting round."""
    M = N - k + 1
    return float(alpha) ** 2 * M / (2 * k * N)


def _ctx_tuple(P: int, i: int, order: int) -> tuple[int, ...]:
    """Context of position i (padded) for the prefix with index P (first token most significant)."""
    L = min(order, i - 1)
    bits = tuple((P >> (L - 1 - t)) & 1 for t in range(L)) if L else ()
    return (0,) * (order - L) + bits


@realizes("Lemma 4", "exact minimizer over inhomogeneous order-o Markov LMs: q*_i(σ|c) = p(x_i = σ | C_i = c), "
          "L*_o = (1/N) Σ_i H(x_i | C_i)", kind="check")
def markov_minimizer(p, order: int) -> tuple[tuple[dict, ...], float]:
    """(tables, L*_o) of the exact minimizer over F_order (module docstring); exact tables
    (Fractions) when p is exact."""
    p = as_distribution(p)
    if p.b != 2:
        raise ConstructionError("the Markov family is binary (b = 2)")
    if isinstance(order, bool) or not isinstance(order, int) or order < 0:
        raise ConstructionError(f"order must be a non-negative integer, got {order!r}")
    N = p.N
    tables, terms = [], []
    for i in range(1, N + 1):
        joint = p.marginal(i).reshape(2 ** (i - 1), 2)
        acc: dict = {}
        for P in range(2 ** (i - 1)):
            c = _ctx_tuple(P, i, order)
            a = acc.setdefault(c, [0, 0])
            a[0] += joint[P, 0]
            a[1] += joint[P, 1]
        tab = {}
        for c in contexts(order, i):
            n0, n1 = acc.get(c, (0, 0))
            tot = n0 + n1
            tab[c] = (Fraction(n1) / tot if p.exact else float(n1) / float(tot)) if tot else (
                Fraction(1, 2) if p.exact else 0.5)
            for n in (n0, n1):
                if n:
                    terms.append(-float(n) * math.log(float(n) / float(tot)))
        tables.append(tab)
    return tuple(tables), math.fsum(terms) / N


def markov_lm_table(order: int, tables, N: int) -> LM:
    """The LM table of an inhomogeneous Markov LM (exact when the tables are)."""
    q = inhomogeneous_markov_q(order, tables, N) if all(isinstance(v, Fraction) for t in tables for v in t.values()) \
        else _float_q(order, tables)
    return LM.from_callable(q, 2, N)


def _float_q(order, tables):
    def q(prefix):
        prefix = tuple(prefix)
        ctx = ((0,) * order + prefix)[len(prefix):]
        v = float(tables[len(prefix)][ctx])
        return [1 - v, v]
    return q


def least_order(q: LM, *, tol: float = 1e-9) -> int:
    """The least o with q ∈ F_o: at every position, rows with the same padded context of
    length o are equal (exactly for an exact LM, within ``tol`` otherwise)."""
    N = q.N
    for o in range(N):
        ok = True
        for i in range(1, N + 1):
            lv = q.levels[i - 1]
            seen: dict = {}
            for P in range(lv.shape[0]):
                c = _ctx_tuple(P, i, o)
                row = lv[P]
                if c in seen:
                    other = seen[c]
                    same = all(a == b for a, b in zip(row, other)) if q.exact else \
                        bool(np.all(np.abs(np.asarray(row, float) - np.asarray(other, float)) <= tol))
                    if not same:
                        ok = False
                        break
                else:
                    seen[c] = row
            if not ok:
                break
        if ok:
            return o
    return N - 1


@dataclass
class Minimum:
    """The minimizer over one class: its index, order, loss, LM table and (on demand) network."""

    m: int
    order: int
    loss: float
    lm: LM
    tables: tuple
    N: int

    def network(self):
        """The minimizer as an LM RNN (:func:`constructions.markov_family.inhomogeneous_markov_lm`)."""
        tabs = [{c: Fraction(v) for c, v in t.items()} for t in self.tables]
        return inhomogeneous_markov_lm(self.order, tabs, self.N, name=f"markov_inh_o{self.order}")


class MarkovFamily:
    """Algorithm 1's family C_m = F_{o(m)}, o(m) = min(m·step, N−1), step = max(k−1, 1),
    with its exact minimizer (cached per order)."""

    name = "exact: inhomogeneous order-o Markov LMs"
    exact = True

    def __init__(self, p, k: int):
        self.p = as_distribution(p)
        if self.p.b != 2:
            raise ConstructionError("the Markov family is binary (b = 2)")
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= self.p.N:
            raise ConstructionError(f"window k must be an integer in 1..N = 1..{self.p.N}, got {k!r}")
        self.k = k
        self.step = max(k - 1, 1)
        self._cache: dict[int, Minimum] = {}

    def order(self, m: int) -> int:
        return min(m * self.step, self.p.N - 1)

    @property
    def saturation(self) -> int:
        """The first index whose class is every LM (order N − 1)."""
        return -(-(self.p.N - 1) // self.step)

    def describe(self, m: int) -> str:
        return f"F_{self.order(m)} (order {self.order(m)})"

    def minimize(self, m: int) -> Minimum:
        o = self.order(m)
        if o not in self._cache:
            tables, loss = markov_minimizer(self.p, o)
            self._cache[o] = Minimum(m, o, loss, markov_lm_table(o, tables, self.p.N), tables, self.p.N)
        got = self._cache[o]
        return Minimum(m, o, got.loss, got.lm, got.tables, got.N)


# ---- Lemma 4 exactly -------------------------------------------------------------------------

@dataclass
class ClassRow:
    m: int
    order: int
    loss: float                   # L*_m
    max_alpha: float              # max over 𝒟 of |α| for the minimizer
    best: str                     # the member attaining it
    r_star: int | None = None
    boosted_loss: float | None = None      # L_p(boost(q*_m)) (the certificate for C_{m+1})
    boosted_order: int | None = None
    guarantee: float | None = None         # L*_m − g(α)
    drop: float | None = None              # L*_m − L*_{m+1}
    bad: bool = False                      # m ∈ B


@dataclass
class Lemma4Report:
    k: int
    N: int
    eps: float
    g_eps: float
    rows: list = field(default_factory=list)
    bad: list = field(default_factory=list)
    bound: float = 0.0                     # L*_0 / g(ε)
    entropy_rate: float = 0.0
    failures: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


@realizes("Lemma 4", "every minimizer over C_m with m ∉ B = {m : L*_m − L*_{m+1} > g(ε)} is ε-indistinguishable "
          "for 𝒟; |B| ≤ L*_0/g(ε) ≤ log(b)/g(ε)", bound="|B| ≤ L*_0/g(ε)", kind="check")
def lemma4_exact(p, k: int, eps: float, *, dclass=None, m_max: int | None = None) -> Lemma4Report:
    """Lemma 4 on the Markov family for the window-k pattern sets (or ``dclass``, which must be
    window-only for the hypothesis to hold), every m up to saturation (module docstring)."""
    if not eps > 0:
        raise ConstructionError(f"ε must be > 0, got {eps!r}")
    fam = MarkovFamily(p, k)
    pd = fam.p
    N = pd.N
    dcl = as_class(dclass, k, who="lemma4_exact")
    g_eps = gain(eps, k=k, N=N)
    last = fam.saturation if m_max is None else m_max
    rep = Lemma4Report(k, N, float(eps), g_eps, entropy_rate=entropy(pd) / N)
    mins = [fam.minimize(m) for m in range(last + 2)]
    for m in range(last + 1):
        cur, nxt = mins[m], mins[m + 1]
        ch = dcl.best(pd, cur.lm)
        a = float(ch.alpha)
        row = ClassRow(m, cur.order, cur.loss, a, ch.label)
        row.drop = cur.loss - nxt.loss
        row.bad = row.drop > g_eps
        if nxt.loss > cur.loss + TOL:
            rep.failures.append(f"m = {m}: L*_m+1 = {nxt.loss} > L*_m = {cur.loss} (the classes are not nested)")
        if a > 0:
            r = best_offset(ch.adv)
            qb = boosted_conditional(cur.lm.to_float(), ch.table, k=k, r=r, eta=a, N=N).table()
            row.r_star = r
            row.boosted_loss = next_token_loss(pd, qb)
            row.boosted_order = least_order(qb)
            row.guarantee = cur.loss - gain(a, k=k, N=N)
            if row.boosted_order > nxt.order:
                rep.failures.append(f"m = {m}: boost(q*_m) has order {row.boosted_order} > o(m+1) = {nxt.order}")
            if row.boosted_loss > row.guarantee + TOL:
                rep.failures.append(f"m = {m}: L(boost) = {row.boosted_loss} > L*_m − g(α) = {row.guarantee}")
            if nxt.loss > row.boosted_loss + TOL:
                rep.failures.append(f"m = {m}: the certificate fails: L*_m+1 = {nxt.loss} > L(boost) = {row.boosted_loss}")
        if not row.bad and a > eps + TOL:
            rep.failures.append(f"m = {m} ∉ B (drop {row.drop:.3g} ≤ g(ε) = {g_eps:.3g}) but max |α| = {a:.6g} > ε = {eps}")
        rep.rows.append(row)
    rep.bad = [r.m for r in rep.rows if r.bad]
    rep.bound = mins[0].loss / g_eps
    if len(rep.bad) > rep.bound + TOL:
        rep.failures.append(f"|B| = {len(rep.bad)} > L*_0/g(ε) = {rep.bound:.3g}")
    return rep


__all__ = ["gain", "markov_minimizer", "markov_lm_table", "least_order", "Minimum", "MarkovFamily",
           "ClassRow", "Lemma4Report", "lemma4_exact"]
