"""Exact definitions of what the project's networks compute, written from THEORY (§2.6, §3,
§4.3–4.6) independently of the builders: each is a :class:`Definition` giving, for one
document x, the exact value some named nodes must hold at some times. The shared case
table (tests/catalog.py) attaches one to every network and tests/test_catalog.py checks
it on every document of length N; the construction tests use the same pieces.

* :class:`LMOutputs` (THEORY §2.6): the output at mτ is q(x_m | x_<m).
* :class:`DistOutputs`: the output at mτ (m ≥ k) is d(m−k+1, x_≤m).
* :class:`EnumerationOutputs` (Lemma 11): at iτ_S the base F(x_≤i); at t(i, n, m) =
  (i−1)τ_S + (nk + m + 1)P the base F on x_<j·s_n[0..m] (n < 2^k) or x_<j·x_j..j+m
  (final phase, m ≤ ℓ), with P = T + 1 (3 when k = T = 1) and τ_S = (2^k + 1)kP.
* :class:`ComponentValues` (Lemmas 7–9): at t_U(i, n) = t(i, n, k−1) + 1, for i ≥ r,
  u = q(s_n | x_<j), v = w^{d(j, x_<j s_n)}, 1_num, 1_den.
* :class:`CounterValues` (Claim 1): every counter node at every time holds the position
  of the next step (one step ahead).
The times and positions are computed here from the formulas, not with
``constructions.schedule``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import numpy as np

import rnnsim


def bits(n: int, k: int) -> tuple[int, ...]:
    """s_n: n written with k binary digits, most significant first."""
    return tuple((n >> (k - 1 - m)) & 1 for m in range(k))


@dataclass(frozen=True)
class Timing:
    """The enumeration's timing from its formulas (THEORY §4.3–4.4)."""

    k: int
    T: int
    r: int
    N: int | None = None

    @property
    def P(self) -> int:
        return 3 if self.k == self.T == 1 else self.T + 1

    @property
    def tau_S(self) -> int:
        return (2 ** self.k + 1) * self.k * self.P

    def ell(self, i: int) -> int:
        return 0 if i < self.r else (i - self.r) % self.k

    def anchor(self, i: int) -> int:
        return i - self.ell(i)

    def t(self, i: int, n: int, m: int) -> int:
        return (i - 1) * self.tau_S + (n * self.k + m + 1) * self.P

    def t_U(self, i: int, n: int) -> int:
        return self.t(i, n, self.k - 1) + 1


class Definition:
    """Expected exact values {(node, time): value} of a network on one document."""

    tolerance = 0.0     # 0: exact equality; otherwise |got − want| ≤ tolerance·(1 + |want|)

    def expected(self, rnn, x: tuple) -> dict:
        raise NotImplementedError


def lm_value(q, w: tuple):
    """F(w) of an LM: q(w_last | w before it)."""
    return q(w[:-1])[w[-1]]


@dataclass(frozen=True)
class LMOutputs(Definition):
    q: Callable
    tolerance: float = 0.0

    def expected(self, rnn, x):
        return {(rnn.output, m * rnn.tau): self.q(x[:m - 1])[x[m - 1]] for m in range(1, len(x) + 1)}


@dataclass(frozen=True)
class DistOutputs(Definition):
    d: Callable
    k: int

    def expected(self, rnn, x):
        return {(rnn.output, m * rnn.tau): self.d(m - self.k + 1, x[:m]) for m in range(self.k, len(x) + 1)}


@dataclass(frozen=True)
class EnumerationOutputs(Definition):
    """Lemma 11 on a base computing ``F(w)`` (None where the base's output is unspecified)."""

    F: Callable
    timing: Timing

    def expected(self, rnn, x):
        s, F, out = self.timing, self.F, {}

        def put(t, w):
            v = F(w)
            if v is not None:
                out[(rnn.output, t)] = v
        for i in range(1, len(x) + 1):
            j = s.anchor(i)
            put(i * s.tau_S, x[:i])
            if i >= s.r:
                for n in range(2 ** s.k):
                    for m in range(s.k):
                        put(s.t(i, n, m), x[:j - 1] + bits(n, s.k)[:m + 1])
                for m in range(s.ell(i) + 1):
                    put(s.t(i, 2 ** s.k, m), x[:j + m])
        return out


def component_values(q, d, w, timing: Timing, x: tuple, i: int, n: int) -> tuple:
    """(u, v, 1_num, 1_den) for string n at position i (Lemmas 7–9)."""
    k = timing.k
    j = timing.anchor(i)
    ell = i - j
    s = bits(n, k)
    z = tuple(x[:j - 1])
    u = Fraction(1)
    for m in range(k):
        u *= Fraction(q(z + s[:m])[s[m]])
    v = w if d(j, z + s) == 1 else Fraction(1)
    num = int(s[:ell + 1] == tuple(x[j - 1:i]))
    den = int(s[:ell] == tuple(x[j - 1:i - 1]))
    return u, v, num, den


@dataclass(frozen=True)
class ComponentValues(Definition):
    q: Callable
    d: Callable
    w: Fraction
    timing: Timing
    nodes: tuple = ("U.u", "V.v", "I.num", "I.den")

    def expected(self, rnn, x):
        s, out = self.timing, {}
        for i in range(s.r, len(x) + 1):
            for n in range(2 ** s.k):
                vals = component_values(self.q, self.d, self.w, s, x, i, n)
                for node, v in zip(self.nodes, vals):
                    out[(node, s.t_U(i, n))] = v
        return out


@dataclass(frozen=True)
class CounterValues(Definition):
    """Claim 1: at time t every counter node holds the value of position t + 1."""

    timing: Timing

    def expected(self, rnn, x):
        s, out = self.timing, {}
        M = s.N - s.k + 1
        L = (s.r + s.k * ((M - s.r) // s.k) + s.k - 1) if M >= s.r else s.r - 1
        cap = L + 1
        for t in range(len(x) * s.tau_S + 1):
            i, loop_step = (t + 1) // s.tau_S + 1, (t + 1) % s.tau_S
            g = loop_step // s.P
            n = g // s.k
            vals = {"cnt.on": 1, "cnt.c": loop_step % s.P, "cnt.d": g % s.k, "cnt.beta": int(n == 2 ** s.k),
                    "cnt.l": s.ell(i), "cnt.p": min(i, cap)}
            vals.update({f"E.e{m}": b for m, b in enumerate(bits(n % 2 ** s.k, s.k))})
            out.update({(node, t): v for node, v in vals.items()})
        return out


@dataclass(frozen=True)
class FloatOutputs(Definition):
    """Outputs at mτ given by a float64 oracle ``f(tokens) -> array of N outputs``."""

    f: Callable
    tolerance: float = 1e-9

    def expected(self, rnn, x):
        vals = np.asarray(self.f(np.array([x])), dtype=np.float64)[0]
        return {(rnn.output, m * rnn.tau): float(vals[m - 1]) for m in range(1, len(x) + 1)}


def check(rnn, definition: Definition, N: int) -> tuple[int, list]:
    """Run ``rnn`` exactly on every document of length N and compare every expected value;
    returns (#values checked, [(document, node, time, got, want), …])."""
    checks, bad = 0, []
    for row in rnnsim.all_documents(rnn.alphabet, N):
        x = tuple(int(t) for t in row)
        want = definition.expected(rnn, x)
        nodes = sorted({n for n, _ in want})
        tr = rnnsim.simulate(rnn, list(x), "exact", engine="reference", record={t for _, t in want}, nodes=nodes)
        got = {(n, t): v for n in nodes for t, v in zip(tr.times, tr.values[n])}
        for key, w in want.items():
            checks += 1
            g = got[key]
            tol = definition.tolerance
            ok = g == w if not tol else abs(float(g) - float(w)) <= tol * (1 + abs(float(w)))
            if not ok:
                bad.append((x, *key, g, w))
    return checks, bad


__all__ = ["Definition", "LMOutputs", "DistOutputs", "EnumerationOutputs", "ComponentValues",
           "CounterValues", "FloatOutputs", "Timing", "bits", "component_values", "lm_value", "check"]
