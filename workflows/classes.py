"""Distinguisher classes 𝒟 as objects, and the exact advantage of every member against a
text distribution p and an LM network (THEORY §3; the class of Theorem 1, THEORY §9).

A :class:`DistinguisherClass` is a finite set of distinguisher RNNs with one window k,
*closed under complement*: for every member d the class holds a member computing 1 − d
(built as a network: :func:`constructions.families.complement`, or the complementary
pattern set Σ^k∖P for a pattern set P). Members are ready-made (:class:`constructions.
families.Spec`: pattern sets, motifs, parity, repeat, brackets, with their τ) or
user-supplied RNNs with role ``DistinguisherRole(k)``. Networks are built when first used.

**Advantages.** For data p and model q (an LM table, or an LM network whose LM is
recovered by simulating it on every document), the advantage of member d is
α(d) = (1/M) Σ_j Σ_{z,y} W_j[z, y]·d(j, zy), W_j = p(z)·q(y|z) − p(zy)
(:func:`proofs_checks.advantage.window_weights`, computed once for the class). Each
member's table d(j, ·) is read from its *network* (simulated on every document,
:func:`proofs_checks.advantage.distinguisher_from_rnn`), except pattern sets: a window
matches exactly one word, so d_P = Σ_{w∈P} d_{{w}} and α(P) = Σ_{w∈P} α({w}) from the 2^k
single-word networks (all 2^(2^k) sets of window 4 cost 16 simulations). Exact (Fractions)
when p and q are exact, float64 otherwise. Because the class is closed under complement,
max_d α(d) = max_d |α(d)|, and the member with the largest α is the one Theorem 1's loop
boosts with.

``DistinguisherClass.named(name, k)``: "patterns" (all window-k pattern sets, the default
of ``rnnsim selfboost``), "motifs", "parity", "repeat", "brackets", "mixed" (one of each
family, τ_D ∈ {1, 2, 3}) or a "+"-joined union ("motifs+parity"); :func:`as_class` turns a
name, a list of members or a class into a class. This module is the one home of
distinguisher classes: selfboost, growth, Algorithm 1, Lemma 4 on the exact family, the
chain and the measurement of trained models all take a class from here, and read its
results as :class:`ClassAdvantages` (α of every member, the best one, a markdown table) and
:class:`Choice` (the member with the largest α, its table on Σ^N and its Advantage).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Iterable

import numpy as np

import rnnsim
from constructions import families
from constructions.families import Spec
from constructions.size_classes import SizeClass, distinguisher_bound
from proofs_checks.advantage import Advantage, DistTable, advantage, distinguisher_from_rnn, window_weights
from proofs_checks.lm import LM, as_distribution
from rnnsim import RNN, ConstructionError
from rnnsim.roles import require_distinguisher
from rnnsim.strings import all_strings

__all__ = ["Member", "DistinguisherClass", "ClassAdvantages", "Choice", "recover_lm", "as_class"]


@dataclass
class Member:
    """One distinguisher of the class: a ready-made ``spec`` or a user ``net``; ``complement_of``
    is the index of the member it was added to complement (None for members given)."""

    label: str
    spec: Spec | None = None
    net: RNN | None = None
    complement_of: int | None = None

    def network(self) -> RNN:
        if self.net is None:
            self.net = self.spec.build()
        return self.net

    @property
    def pattern_set(self):
        """The pattern set P (tuple of words) of a pattern-set member with τ, else None."""
        rec = self.spec.record if self.spec is not None else None
        return rec.patterns if rec is not None and rec.kind == "pattern_distinguisher" else None


@dataclass
class ClassAdvantages:
    """α of every member (exact Fractions or floats), in member order."""

    labels: list
    alpha: list
    exact: bool
    N: int
    k: int

    @property
    def best(self) -> int:
        """Index of the largest α (the first on ties)."""
        return max(range(len(self.alpha)), key=lambda i: (self.alpha[i], -i))

    @property
    def max_abs(self):
        return max(abs(a) for a in self.alpha)

    @property
    def best_label(self) -> str:
        return self.labels[self.best]

    def top(self, n: int = 5) -> list[tuple[str, Any]]:
        order = sorted(range(len(self.alpha)), key=lambda i: (-self.alpha[i], i))[:n]
        return [(self.labels[i], self.alpha[i]) for i in order]

    def markdown(self, n: int = 16) -> str:
        """The ``n`` members with the largest α as a markdown table (all of them when the class
        has at most ``n``; the others are counted in a last row)."""
        lines = ["| distinguisher | α (model − data) |", "|---|---|"]
        lines += [f"| {lb} | {float(a):+.6g} |" for lb, a in self.top(n)]
        if len(self.alpha) > n:
            lines.append(f"| … {len(self.alpha) - n} more members | ≤ {float(self.top(n)[-1][1]):+.6g} |")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.markdown()


@dataclass
class Choice:
    """The member with the largest advantage: its index, label, network, table on Σ^N and its
    full :class:`~proofs_checks.advantage.Advantage` (A_j, S_r, n_r)."""

    index: int
    label: str
    net: RNN
    table: DistTable
    adv: Advantage
    advantages: ClassAdvantages = field(repr=False)

    @property
    def alpha(self):
        return self.adv.alpha


def recover_lm(q, N: int, *, arithmetic="float64", engine: str = "auto") -> LM:
    """An LM table from an LM table (cut to N) or an LM network (simulated on all b^N
    documents: THEORY §2.6, its output at mτ is q(x_m | x_<m))."""
    if isinstance(q, LM):
        if q.N < N:
            raise ConstructionError(f"the LM table has N = {q.N}; documents of length {N} need N ≥ {N}")
        return q if q.N == N else LM(q.levels[:N], q.b, validate=False)
    if isinstance(q, RNN):
        from proofs_checks.textdist import lm_from_rnn

        return lm_from_rnn(q, N, arithmetic, engine)
    raise ConstructionError(f"the model must be an LM table or an LM network, got {type(q).__name__}")


class DistinguisherClass:
    """A finite class of window-k distinguisher RNNs, closed under complement (module docstring)."""

    def __init__(self, k: int, members: Iterable, *, close: bool = True, name: str = "class"):
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ConstructionError(f"the window k of a distinguisher class must be a positive integer, got {k!r}")
        self.k, self.name = k, name
        self.members: list[Member] = []
        seen: set = set()
        for i, m in enumerate(members):
            self._add(self._member(m, i), seen)
        if not self.members:
            raise ConstructionError(f"distinguisher class {name!r} is empty: give at least one distinguisher "
                                    "(a constructions.families spec or a distinguisher RNN)")
        if close:
            for i in range(len(self.members)):
                m = self.members[i]
                if m.spec is not None:
                    cs = m.spec.complement()
                    c = Member(cs.label, spec=cs, complement_of=i)
                else:
                    c = Member(f"¬{m.label}", net=families.complement(m.net), complement_of=i)
                self._add(c, seen)
        self._tables: dict = {}

    # ---- construction ---------------------------------------------------------------------------

    def _member(self, m, i: int) -> Member:
        if isinstance(m, Member):
            m = m.spec if m.spec is not None else (m.label, m.net)
        if isinstance(m, Spec):
            if m.k != self.k:
                raise ConstructionError(f"class {self.name!r}: member {i} ({m.label}) has window {m.k}, the class "
                                        f"has window k = {self.k}; use members of one window")
            return Member(m.label, spec=m)
        label = None
        if isinstance(m, tuple) and len(m) == 2 and isinstance(m[0], str):
            label, m = m
        if not isinstance(m, RNN):
            raise ConstructionError(f"class {self.name!r}: member {i} is a {type(m).__name__}; give a "
                                    "constructions.families.Spec or a distinguisher RNN")
        role = require_distinguisher(m, f"class {self.name!r} (member {i})", what="the member")
        if role.window != self.k:
            raise ConstructionError(f"class {self.name!r}: member {i} ({m.name!r}) has window {role.window}, the "
                                    f"class has window k = {self.k}; build it with window {self.k}")
        return Member(label or m.name, net=m)

    def _add(self, m: Member, seen: set) -> None:
        key = (m.spec.record, m.spec.tau) if m.spec is not None else id(m.net)
        if key not in seen:
            seen.add(key)
            self.members.append(m)

    @classmethod
    def named(cls, name: str, k: int) -> "DistinguisherClass":
        specs: list = []
        for part in name.split("+"):
            fam = families.FAMILIES.get(part.strip())
            if fam is None:
                raise ConstructionError(f"unknown distinguisher class {part!r}; known: {', '.join(families.FAMILIES)} "
                                        "(join several with '+')")
            specs += fam(k)
        return cls(k, specs, name=name)

    # ---- access ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.members)

    def __iter__(self):
        return iter(self.members)

    def __repr__(self) -> str:
        return f"DistinguisherClass({self.name!r}, k={self.k}, {len(self)} members)"

    @property
    def labels(self) -> list[str]:
        return [m.label for m in self.members]

    def network(self, i: int) -> RNN:
        return self.members[i].network()

    def largest(self) -> dict:
        """The largest size, hidden size and τ over the members (Theorem 1's distinguisher bound)."""
        nets = [self._counts(m) for m in self.members]
        return {q: max(n[q] for n in nets) for q in ("size", "hidden", "tau")}

    def size_class(self) -> SizeClass:
        """The least size class C_D holding every member network (the distinguishers' class of
        :func:`constructions.size_classes.class_sequence`). The pattern-set members of one τ are
        represented by the full set Σ^k: every pattern-set network has the same size, hidden size
        and τ, and the full set has the most operations and the greatest depth."""
        nets, taus = [], set()
        for i, m in enumerate(self.members):
            if m.pattern_set is None:
                nets.append(self.network(i))
            elif m.spec.tau not in taus:
                taus.add(m.spec.tau)
                nets.append(families.patterns(self.k, [all_strings(self.k)], tau=m.spec.tau)[0].build())
        return distinguisher_bound(nets)

    def _counts(self, m: Member) -> dict:
        # every pattern-set network of window k and period τ has the same size (k + 1 + [τ > 1])
        # and hidden size: one single-word network stands for all 2^(2^k) of them
        net = m.network() if m.pattern_set is None else self._single(m.spec.tau, "0" * self.k)
        return {"size": net.size, "hidden": net.hidden_size, "tau": net.tau}

    # ---- tables and advantages ---------------------------------------------------------------------

    def _single(self, tau: int, word) -> RNN:
        key = ("single", tau, word)
        if key not in self._tables:
            self._tables[key] = families.patterns(self.k, [[word]], tau=tau)[0].build()
        return self._tables[key]

    def _single_table(self, tau: int, word: str, N: int, engine: str) -> DistTable:
        key = ("single table", tau, word, N)
        if key not in self._tables:
            self._tables[key] = distinguisher_from_rnn(self._single(tau, word), self.k, N, "float64", engine)
        return self._tables[key]

    def member_table(self, i: int, N: int, *, engine: str = "auto") -> DistTable:
        """Member i's d(j, x) on Σ^N, read from its network (exact 0/1)."""
        key = ("table", i, N)
        if key not in self._tables:
            self._check_N(N)
            self._tables[key] = distinguisher_from_rnn(self.network(i), self.k, N, "float64", engine)
        return self._tables[key]

    def _check_N(self, N: int) -> None:
        if not (isinstance(N, int) and N >= self.k):
            raise ConstructionError(f"document length N = {N!r} must be an integer ≥ the window k = {self.k}")

    def advantages(self, p, q, *, N: int | None = None, engine: str = "auto") -> ClassAdvantages:
        """α of every member for data p and model q (an LM table or an LM network)."""
        p = as_distribution(p)
        N = p.N if N is None else N
        self._check_N(N)
        q = recover_lm(q, N, engine=engine)
        W, _, exact = window_weights(p, q, k=self.k)
        M = N - self.k + 1
        zero = Fraction(0) if exact else 0.0

        def alpha_of(table: DistTable):
            tot = zero
            for j in range(1, M + 1):
                s = (W[j - 1] * table.window(j).astype(np.int64)).sum()
                tot = tot + (Fraction(s) if exact else float(s))
            return tot / M

        single: dict = {}
        out = []
        for i, m in enumerate(self.members):
            P = m.pattern_set
            if P is None:
                out.append(alpha_of(self.member_table(i, N, engine=engine)))
                continue
            out.append(self._set_sum(m.spec.tau, P, single, alpha_of, N, engine, zero))
        return ClassAdvantages(self.labels, out, exact, N, self.k)

    def _set_sum(self, tau, P: tuple, memo: dict, alpha_of, N, engine, zero):
        """α(P) = α(P minus its last word) + α({last word}); the memo holds every prefix of the
        sorted word tuples seen, so all 2^(2^k) sets cost one addition each."""
        if not P:
            return zero
        key = (tau, P)
        if key not in memo:
            w = P[-1]
            if (tau, w) not in memo:
                memo[(tau, w)] = alpha_of(self._single_table(tau, w, N, engine))
            memo[key] = self._set_sum(tau, P[:-1], memo, alpha_of, N, engine, zero) + memo[(tau, w)]
        return memo[key]

    def best(self, p, q, *, N: int | None = None, engine: str = "auto") -> Choice:
        """The member with the largest advantage, with its table and full Advantage."""
        p = as_distribution(p)
        N = p.N if N is None else N
        q = recover_lm(q, N, engine=engine)
        advs = self.advantages(p, q, N=N, engine=engine)
        i = advs.best
        table = self.member_table(i, N, engine=engine)
        adv = advantage(p, q, table, k=self.k)
        return Choice(i, self.labels[i], self.network(i), table, adv, advs)


def as_class(dclass, k: int, *, who: str = "distinguisher class") -> DistinguisherClass:
    """The distinguisher class meant by ``dclass``: a :class:`DistinguisherClass` (its window
    must be k), a name for :meth:`DistinguisherClass.named` (None: "patterns"), or a list of
    members (constructions.families specs or distinguisher RNNs), closed under complement."""
    if dclass is None:
        dclass = "patterns"
    if isinstance(dclass, str):
        return DistinguisherClass.named(dclass, k)
    if isinstance(dclass, (list, tuple)):
        return DistinguisherClass(k, dclass)
    if not isinstance(dclass, DistinguisherClass):
        raise ConstructionError(f"{who}: not a distinguisher class: {type(dclass).__name__} (give a "
                                "DistinguisherClass, a class name such as 'patterns', or a list of distinguishers)")
    if dclass.k != k:
        raise ConstructionError(f"{who}: the class {dclass.name!r} has window {dclass.k}, but k = {k}")
    return dclass
