"""Next-k-token distinguishers and their advantage (THEORY §3; paper: Equation (1.2), Definition of
the advantage used by Lemma 1 and Theorem 3).

A next-k-token distinguisher is d(j, x) ∈ {0, 1} for window starts j ∈ [1, M], M = N − k + 1,
depending only on the prefix x_{<j} and the window x_{j..j+k−1}. Its per-position advantage
for model q against data p is (model minus data)
A_j = E_{x_{<j}∼p}[ E_{y∼q(·|x_{<j})} d(j, x_{<j}y) − E_{y∼p(·|x_{<j})} d(j, x_{<j}y) ],
and its advantage is α = (1/M)·Σ_j A_j; replacing d by 1 − d flips the sign of every A_j.
Offsets r ∈ {1, …, k} split the window starts into I_r = {j ∈ [1, M] : j ≡ r (mod k)};
n_r = |I_r| and S_r = Σ_{j∈I_r} A_j, so Σ_r S_r = M·α and Σ_r n_r = M.

Public API
----------
``DistTable(tables, b, k, N)``  d as 0/1 tables: ``tables[j-1]`` has length b**(j−1+k), indexed
                               by the base-b value of x_{<j+k}; callable ``d(j, x) -> 0/1``
                               (THEORY §6; x at least j−1+k tokens, extra tokens ignored);
                               ``.window(j)`` → (b**(j−1), b**k) array;
                               ``DistTable.from_callable(d, b, k, N)``; ``.complement()``.
``as_table(d, b, k, N)``       callable or table → DistTable.
``advantage(p, q, d, *, k, b=None, N=None)`` → :class:`Advantage` (A, alpha, M, k, I, n, S,
                               Q = E_p E_q d per window, P = E_p d per window); exact when p
                               and q are exact; b, N needed only for a callable/vector p.
``window_weights(p, q, *, k)`` → (W, Q, exact): A_j = Σ W_j·d(j, ·) for any d (a whole class at once).
``offsets(k, M)``              → {r: I_r}.
``random_distinguisher(b, k, N, rng, density=0.5, prefix_dependent=True)``.
``distinguisher_from_rnn(rnn, k, N, arithmetic="exact", engine="auto")`` → DistTable (the RNN
                               outputs d(m−k+1, x_{≤m}) at time m·τ for m ≥ k, THEORY §2.6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

import numpy as np

from rnnsim.errors import NotADistinguisher
from rnnsim.registry import realizes
from rnnsim.roles import require_distinguisher
from rnnsim.strings import by_prefix, nth_string, prefix_index

from .lm import as_distribution, as_lm

__all__ = ["DistTable", "as_table", "Advantage", "advantage", "window_weights", "offsets", "random_distinguisher",
           "distinguisher_from_rnn", "NotADistinguisher"]


class DistTable:
    """A next-k-token distinguisher as 0/1 tables (see the module docstring)."""

    def __init__(self, tables, b: int, k: int, N: int):
        if not (1 <= k <= N):
            raise NotADistinguisher(f"window k = {k} must satisfy 1 ≤ k ≤ N = {N}")
        self.b, self.k, self.N, self.M = b, k, N, N - k + 1
        if len(tables) != self.M:
            raise NotADistinguisher(f"{len(tables)} window tables given, expected M = N − k + 1 = {self.M}")
        self.tables = []
        for j, t in enumerate(tables, start=1):
            t = np.asarray(t)
            if t.shape != (b ** (j - 1 + k),):
                raise NotADistinguisher(f"window j={j}: table has shape {t.shape}, expected ({b ** (j - 1 + k)},)")
            bad = np.argwhere((t != 0) & (t != 1))
            if len(bad):
                z = int(bad[0][0])
                raise NotADistinguisher(f"d({j}, {nth_string(z, j - 1 + k, b)}) = {t[z]!r} is not 0 or 1")
            self.tables.append(t.astype(np.int8))

    def __call__(self, j: int, x) -> int:
        if not 1 <= j <= self.M:
            raise NotADistinguisher(f"window start j = {j} outside [1, M] = [1, {self.M}]")
        need = j - 1 + self.k
        if len(x) < need:
            raise NotADistinguisher(f"d(j={j}, x) needs at least j−1+k = {need} tokens, got {len(x)}")
        return int(self.tables[j - 1][prefix_index(tuple(x[:need]), self.b)])

    def __repr__(self) -> str:
        return f"DistTable(b={self.b}, k={self.k}, N={self.N})"

    def window(self, j: int) -> np.ndarray:
        """d(j, z·y) as an array indexed [z ∈ Σ^{j−1}, y ∈ Σ^k]."""
        return self.tables[j - 1].reshape(self.b ** (j - 1), self.b ** self.k)

    def complement(self) -> "DistTable":
        return DistTable([1 - t for t in self.tables], self.b, self.k, self.N)

    @classmethod
    def from_callable(cls, d: Callable, b: int, k: int, N: int) -> "DistTable":
        if isinstance(d, DistTable):
            if (d.b, d.k) != (b, k) or d.N < N:
                raise NotADistinguisher(f"table has b={d.b}, k={d.k}, N={d.N}; need b={b}, k={k}, N≥{N}")
            return d if d.N == N else DistTable(d.tables[: N - k + 1], b, k, N)
        tables = []
        for j in range(1, N - k + 2):
            L = j - 1 + k
            tables.append(np.array([_bit(d, j, nth_string(z, L, b)) for z in range(b ** L)], dtype=np.int8))
        return cls(tables, b, k, N)


def _bit(d, j, x) -> int:
    v = d(j, x)
    if v not in (0, 1):
        raise NotADistinguisher(f"d({j}, {x}) = {v!r} is not 0 or 1")
    return int(v)


def as_table(d, b: int, k: int, N: int) -> DistTable:
    return DistTable.from_callable(d, b, k, N)


def offsets(k: int, M: int) -> dict[int, list[int]]:
    """I_r = {j ∈ [1, M] : j ≡ r (mod k)} for r = 1..k."""
    return {r: [j for j in range(1, M + 1) if (j - r) % k == 0] for r in range(1, k + 1)}


@dataclass
class Advantage:
    """Per-window and aggregated advantages (model minus data)."""

    k: int
    M: int
    A: list                      # A[j-1] = A_j
    Q: list                      # Q[j-1] = E_{x<j∼p} E_{y∼q} d(j, ·)
    P: list                      # P[j-1] = E_{x∼p} d(j, x)
    alpha: object
    I: dict[int, list[int]] = field(default_factory=dict)
    n: dict[int, int] = field(default_factory=dict)
    S: dict[int, object] = field(default_factory=dict)


def _exactify(a: np.ndarray, exact: bool) -> np.ndarray:
    if exact:
        return a
    return a.astype(np.float64) if a.dtype != object else np.vectorize(float, otypes=[np.float64])(a)


def window_weights(p, q, *, k: int, b: int | None = None, N: int | None = None) -> tuple[list, list, bool]:
    """(W, Q, exact): per window j the (b^{j−1}, b^k) arrays W_j[z, y] = p(z)·q(y|z) − p(zy) and
    Q_j[z, y] = p(z)·q(y|z), so that A_j = Σ W_j·d(j, ·) and E_p E_q d = Σ Q_j·d(j, ·) for any
    distinguisher d (one computation for a whole class of distinguishers)."""
    p = as_distribution(p, b, N)
    q = as_lm(q, p.b, p.N)
    b, N = p.b, p.N
    exact = p.exact and q.exact
    W, Qm = [], []
    for j in range(1, N - k + 2):
        pz = _exactify(p.marginal(j - 1), exact)                       # (b^{j-1},)
        pzy = _exactify(p.marginal(j - 1 + k), exact).reshape(b ** (j - 1), b ** k)
        qyz = _exactify(q.block_conditional(j - 1, k), exact)          # (b^{j-1}, b^k)
        model = pz[:, None] * qyz
        Qm.append(model)
        W.append(model - pzy)
    return W, Qm, exact


@realizes("§3 advantage", "advantage A_j is model minus data; α = mean_j A_j; replacing d by 1−d flips the sign; "
          "Σ_r S_r = Mα, Σ_r n_r = M", kind="check")
def advantage(p, q, d, *, k: int, b: int | None = None, N: int | None = None) -> Advantage:
    """A_j, α, I_r, n_r, S_r for data p (Distribution, LM, or — with b and N — an LM callable
    or a probability vector over Σ^N), model q (LM or callable) and distinguisher d (callable
    or DistTable). Exact (Fractions) when p and q are exact.
    A_j = Σ_{z∈Σ^{j−1}, y∈Σ^k} (p(z)·q(y|z) − p(zy))·d(j, zy)."""
    p = as_distribution(p, b, N)
    q = as_lm(q, p.b, p.N)
    b, N = p.b, p.N
    if not 1 <= k <= N:
        raise NotADistinguisher(f"window k = {k} must satisfy 1 ≤ k ≤ N = {N}")
    D = as_table(d, b, k, N)
    W, Qm, exact = window_weights(p, q, k=k)
    M = N - k + 1
    A, Qs, Ps = [], [], []
    for j in range(1, M + 1):
        dj = D.window(j).astype(np.int64)
        model = (Qm[j - 1] * dj).sum()
        diff = (W[j - 1] * dj).sum()
        if exact:
            model, diff = Fraction(model), Fraction(diff)
        else:
            model, diff = float(model), float(diff)
        Qs.append(model)
        Ps.append(model - diff)
        A.append(diff)
    zero = Fraction(0) if exact else 0.0
    alpha = sum(A, zero) / M
    I = offsets(k, M)
    n = {r: len(I[r]) for r in I}
    S = {r: sum((A[j - 1] for j in I[r]), zero) for r in I}
    return Advantage(k, M, A, Qs, Ps, alpha, I, n, S)


def random_distinguisher(b: int, k: int, N: int, rng: np.random.Generator, *, density: float = 0.5,
                         prefix_dependent: bool = True) -> DistTable:
    """Random 0/1 tables; ``prefix_dependent=False`` makes d depend on the window only."""
    tables = []
    if not prefix_dependent:
        w = (rng.random(b ** k) < density).astype(np.int8)
    for j in range(1, N - k + 2):
        if prefix_dependent:
            tables.append((rng.random(b ** (j - 1 + k)) < density).astype(np.int8))
        else:
            tables.append(np.tile(w, b ** (j - 1)))
    return DistTable(tables, b, k, N)


def distinguisher_from_rnn(rnn, k: int, N: int, arithmetic="exact", engine: str = "auto",
                           *, tol: float = 1e-9) -> DistTable:
    """The distinguisher computed by a distinguisher RNN (THEORY §2.6): the output at time m·τ
    (m ≥ k) is d(m−k+1, x_{≤m}). All b^N documents run in one ``simulate_all`` batch. Raises
    NotADistinguisher naming the window and the input when an output is not 0 or 1 (exactly
    in ``exact`` mode, within ``tol`` otherwise). A network whose role is not a distinguisher
    with window k is refused with RoleError; a network without a role is taken as it is."""
    import rnnsim
    from rnnsim.arith import Exact, parse_arithmetic

    if getattr(rnn, "role", None) is not None:   # a network that says what it is must fit
        require_distinguisher(rnn, "distinguisher_from_rnn", window=k, what="the network")
    arith = parse_arithmetic(arithmetic)
    b = rnn.alphabet
    if not 1 <= k <= N:
        raise NotADistinguisher(f"window k = {k} must satisfy 1 ≤ k ≤ N = {N}")
    exact = isinstance(arith, Exact)
    out = rnnsim.simulate_all(rnn, N, arith, engine, raw=exact)
    tables = []
    for m in range(k, N + 1):
        j = m - k + 1
        col = by_prefix(out, m, b)
        vals = np.empty(len(col), dtype=np.int8)
        for z, v in enumerate(col):
            if exact:
                ok = v == 0 or v == 1
                bit = int(v) if ok else -1
            else:
                bit = int(round(float(v)))
                ok = bit in (0, 1) and abs(float(v) - bit) <= tol
            if not ok:
                raise NotADistinguisher(
                    f"distinguisher RNN output node {rnn.output!r} at time {m * rnn.tau} on input "
                    f"{nth_string(z, m, b)}: value {v} is not 0 or 1 (it should be d({j}, x_≤{m}))")
            vals[z] = bit
        tables.append(vals)
    return DistTable(tables, b, k, N)
