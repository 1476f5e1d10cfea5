"""Language models and text distributions on Σ^N as exact tables (THEORY §2.6, §3).

A language model (LM) q gives a next-token distribution q(·|x_{<i}) for every prefix; its
text distribution is q(x) = Π_i q(x_i|x_{<i}) on Σ^N. :class:`LM` stores the conditionals
level by level (``levels[m]`` of shape (b^m, b): row = base-b index of the prefix, first
token most significant, :mod:`rnnsim.strings`; column σ = q(σ|prefix)) and checks that
every row is a probability distribution (exactly for rational tables, within a tolerance
for float64 ones); :class:`Distribution` is a probability vector over Σ^N in the row order
of :func:`rnnsim.all_documents`. An LM RNN's outputs on all documents (the matrix
``simulate_all`` returns, column m−1 = q(x_m | x_<m)) and the LM's table are converted
into each other by :meth:`LM.from_outputs` and :meth:`LM.outputs` — the one place that
knows how that matrix is laid out.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Callable, Sequence

import numpy as np

from rnnsim import all_documents
from rnnsim.errors import ConstructionError, NotALanguageModel
from rnnsim.strings import by_prefix, nth_string, prefix_index


# ----------------------------------------------------------------------------- helpers

def _to_exact_array(a) -> np.ndarray:
    a = np.asarray(a)
    out = np.empty(a.shape, dtype=object)
    flat = out.reshape(-1)
    for i, v in enumerate(a.reshape(-1)):
        if isinstance(v, (float, np.floating)) and not math.isfinite(float(v)):
            raise ConstructionError(f"non-finite probability {v!r} cannot be made exact")
        flat[i] = Fraction(v) if not isinstance(v, (np.integer, np.floating)) else Fraction(v.item())
    return out


def _to_float_array(a) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype == object:
        return np.vectorize(float, otypes=[np.float64])(a) if a.size else a.astype(np.float64)
    return a.astype(np.float64)


def _check_prefix(prefix, b: int, max_len: int, what: str) -> tuple[int, ...]:
    try:
        pre = tuple(int(t) for t in prefix)
    except TypeError:
        raise TypeError(f"{what}: prefix must be a sequence of tokens, got {prefix!r}") from None
    if len(pre) > max_len:
        raise ConstructionError(f"{what}: prefix of length {len(pre)} is longer than {max_len} (N = {max_len + 1})")
    for i, t in enumerate(pre):
        if not 0 <= t < b:
            raise ConstructionError(f"{what}: token x_{i + 1} = {t} is outside Σ = {{0, …, {b - 1}}}")
    return pre


def _sum_rows(a: np.ndarray) -> np.ndarray:
    return a.sum(axis=1) if a.dtype != object else np.array([sum(r, Fraction(0)) for r in a], dtype=object)


def _validate_conditionals(levels, b: int, tol, what: str) -> None:
    for m, lev in enumerate(levels):
        if lev.shape != (b ** m, b):
            raise ConstructionError(f"{what}: level {m} has shape {lev.shape}, expected {(b ** m, b)}")
        neg = np.argwhere(lev < 0) if lev.size else []
        if len(neg):
            P, s = (int(i) for i in neg[0])
            raise NotALanguageModel(f"{what}: q({s} | prefix {nth_string(P, m, b)}) = {lev[P, s]} < 0")
        sums = _sum_rows(lev)
        for P, sm in enumerate(sums):
            bad = (sm != 1) if tol == 0 else abs(float(sm) - 1.0) > tol
            if bad:
                raise NotALanguageModel(
                    f"{what}: the conditionals after prefix {nth_string(P, m, b)} (length {m}) sum to {sm}, not 1"
                    + ("" if tol == 0 else f" (tolerance {tol})"))


# ----------------------------------------------------------------------------- LM

class LM:
    """A language model on Σ^{<N} as a conditional table (see the module docstring)."""

    def __init__(self, levels: Sequence, b: int, *, validate: bool = True, tol: float | None = None):
        if not (isinstance(b, int) and b >= 2):
            raise ConstructionError(f"alphabet size b must be an integer ≥ 2, got {b!r}")
        levels = [np.asarray(lv) for lv in levels]
        if not levels:
            raise ConstructionError("an LM needs at least one level (N ≥ 1)")
        exact = all(lv.dtype == object for lv in levels)
        self.levels = [(_to_exact_array(lv) if exact else _to_float_array(lv)) for lv in levels]
        self.b, self.N, self.exact = b, len(levels), exact
        if validate:
            _validate_conditionals(self.levels, b, 0 if exact else (1e-9 if tol is None else tol), "LM")

    # --- the THEORY §6 callable form
    def __call__(self, prefix) -> tuple:
        pre = _check_prefix(prefix, self.b, self.N - 1, "LM")
        return tuple(self.levels[len(pre)][prefix_index(pre, self.b)])

    def __repr__(self) -> str:
        return f"LM(b={self.b}, N={self.N}, {'exact' if self.exact else 'float64'})"

    # --- constructors
    @classmethod
    def from_callable(cls, q: Callable, b: int, N: int, *, validate: bool = True, tol: float | None = None) -> "LM":
        """Tabulate a callable ``q(prefix) -> b probabilities`` on every prefix of length < N."""
        if isinstance(q, LM) and q.b == b and q.N >= N:
            return q if q.N == N else cls(q.levels[:N], b, validate=False)
        levels = []
        for m in range(N):
            rows = [tuple(q(nth_string(P, m, b))) for P in range(b ** m)]
            if any(len(r) != b for r in rows):
                raise NotALanguageModel(f"q returned a row of length ≠ b = {b} at prefix length {m}")
            exact = all(isinstance(v, (int, Fraction)) for r in rows for v in r)
            arr = np.empty((b ** m, b), dtype=object if exact else np.float64)
            for P, r in enumerate(rows):
                arr[P, :] = [Fraction(v) for v in r] if exact else [float(v) for v in r]
            levels.append(arr)
        if not all(lv.dtype == object for lv in levels):
            levels = [_to_float_array(lv) for lv in levels]
        return cls(levels, b, validate=validate, tol=tol)

    @classmethod
    def from_outputs(cls, outputs, b: int, *, validate: bool = True, tol: float | None = None) -> "LM":
        """The LM an LM RNN computes, from its outputs on all b^N documents (the (b^N, N)
        matrix of :func:`rnnsim.simulate_all`, column m−1 = q(x_m | x_<m), THEORY §2.6):
        q(σ | prefix) is the output after prefix·σ. Exact (object) outputs give an exact LM."""
        outputs = np.asarray(outputs)
        N = outputs.shape[1]
        levels = [np.asarray(by_prefix(outputs, m + 1, b)).reshape(b ** m, b) for m in range(N)]
        return cls(levels, b, validate=validate, tol=tol)

    def outputs(self) -> np.ndarray:
        """The (b^N, N) matrix an LM RNN computing q outputs on all documents (the inverse of
        :meth:`from_outputs`): column m−1 = q(x_m | x_<m) for every document x."""
        b, N = self.b, self.N
        out = np.empty((b ** N, N), dtype=object if self.exact else np.float64)
        for m in range(N):
            out[:, m] = np.repeat(self.levels[m].reshape(-1), b ** (N - m - 1))
        return out

    @classmethod
    def from_weights(cls, weights: Sequence, b: int, *, exact: bool = True) -> "LM":
        """Rows of nonnegative weights, normalized per prefix (a zero row becomes uniform)."""
        levels = []
        for m, w in enumerate(weights):
            w = np.asarray(w).reshape(b ** m, b)
            out = np.empty(w.shape, dtype=object if exact else np.float64)
            for P in range(w.shape[0]):
                row = [Fraction(int(v)) if exact else float(v) for v in w[P]]
                tot = sum(row)
                out[P] = [Fraction(1, b) if exact else 1.0 / b] * b if tot == 0 else [v / tot for v in row]
            levels.append(out)
        return cls(levels, b)

    @classmethod
    def uniform(cls, b: int, N: int, *, exact: bool = True) -> "LM":
        v = Fraction(1, b) if exact else 1.0 / b
        return cls([np.full((b ** m, b), v, dtype=object if exact else np.float64) for m in range(N)], b)

    # --- derived quantities
    def to_float(self) -> "LM":
        return self if not self.exact else LM([_to_float_array(lv) for lv in self.levels], self.b, validate=False)

    def marginal(self, m: int) -> np.ndarray:
        """q(x_{≤m}) for every x ∈ Σ^m (vector of length b**m)."""
        if not 0 <= m <= self.N:
            raise ConstructionError(f"marginal length {m} outside 0..{self.N}")
        v = np.ones(1, dtype=object if self.exact else np.float64)
        if self.exact:
            v[0] = Fraction(1)
        for t in range(m):
            v = (v[:, None] * self.levels[t]).reshape(-1)
        return v

    def text(self) -> np.ndarray:
        """q(x) = Π_i q(x_i|x_{<i}) for every x ∈ Σ^N (row order of ``rnnsim.all_documents``)."""
        return self.marginal(self.N)

    def block_conditional(self, L: int, k: int) -> np.ndarray:
        """q(y | z) for every z ∈ Σ^L (rows) and y ∈ Σ^k (columns): shape (b**L, b**k)."""
        if L < 0 or k < 0 or L + k > self.N:
            raise ConstructionError(f"block of length {k} after a prefix of length {L} exceeds N = {self.N}")
        b = self.b
        C = np.ones((b ** L, 1), dtype=object if self.exact else np.float64)
        if self.exact:
            C[:] = Fraction(1)
        for t in range(k):
            C = (C.reshape(-1)[:, None] * self.levels[L + t]).reshape(b ** L, b ** (t + 1))
        return C

    def distribution(self) -> "Distribution":
        return Distribution(self.text(), self.b, self.N, validate=False)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n documents drawn autoregressively (token by token), shape (n, N)."""
        out = np.zeros((n, self.N), dtype=np.int64)
        idx = np.zeros(n, dtype=np.int64)
        for m in range(self.N):
            cum = np.cumsum(_to_float_array(self.levels[m])[idx], axis=1)
            u = rng.random(n) * cum[:, -1]
            tok = (u[:, None] >= cum).sum(axis=1)          # u < cum[-1], so tok ≤ b − 1
            out[:, m] = tok
            idx = idx * self.b + tok
        return out


# ----------------------------------------------------------------------------- Distribution

class Distribution:
    """A text distribution p on Σ^N given by its probability vector (row order of
    ``rnnsim.all_documents(b, N)``); exact (object array of Fractions) or float64."""

    def __init__(self, probs, b: int, N: int, *, validate: bool = True, tol: float = 1e-9):
        a = np.asarray(probs)
        exact = a.dtype == object or np.issubdtype(a.dtype, np.integer)
        self.probs = _to_exact_array(a) if exact else _to_float_array(a)
        self.b, self.N, self.exact = b, N, exact
        if self.probs.shape != (b ** N,):
            raise ConstructionError(f"Distribution: {self.probs.shape} probabilities given, expected ({b ** N},) = b^N")
        if validate:
            if np.any(self.probs < 0):
                i = int(np.argwhere(self.probs < 0)[0][0])
                raise NotALanguageModel(f"Distribution: p(document {nth_string(i, N, b)}) = {self.probs[i]} < 0")
            tot = sum(self.probs, Fraction(0)) if exact else math.fsum(self.probs)
            if (tot != 1) if exact else abs(tot - 1) > tol:
                raise NotALanguageModel(f"Distribution: probabilities sum to {tot}, not 1")

    def __repr__(self) -> str:
        return f"Distribution(b={self.b}, N={self.N}, {'exact' if self.exact else 'float64'})"

    def marginal(self, m: int) -> np.ndarray:
        """p(x_{≤m}) for every x ∈ Σ^m (cached; treat ``probs`` as read-only)."""
        if not 0 <= m <= self.N:
            raise ConstructionError(f"marginal length {m} outside 0..{self.N}")
        cache = self.__dict__.setdefault("_marginals", {})
        if m not in cache:
            cache[m] = _sum_rows(self.probs.reshape(self.b ** m, self.b ** (self.N - m)))
        return cache[m]

    def conditional(self, prefix) -> tuple:
        """p(·|prefix); raises ValueError when the prefix has probability 0."""
        pre = _check_prefix(prefix, self.b, self.N - 1, "Distribution")
        m = len(pre)
        P = prefix_index(pre, self.b)
        nxt = self.marginal(m + 1)[P * self.b:(P + 1) * self.b]
        tot = sum(nxt, Fraction(0)) if self.exact else float(np.sum(nxt))
        if tot == 0:
            raise ConstructionError(f"Distribution: prefix {pre} has probability 0; its conditional is undefined")
        return tuple(v / tot for v in nxt)

    def as_lm(self) -> LM:
        """p's conditionals as an LM; after a prefix of probability 0 the conditional is set
        to uniform (any choice gives the same text distribution)."""
        b = self.b
        levels = []
        for m in range(self.N):
            nxt = self.marginal(m + 1).reshape(b ** m, b)
            tot = _sum_rows(nxt)
            lv = np.empty((b ** m, b), dtype=object if self.exact else np.float64)
            for P in range(b ** m):
                if tot[P] == 0:
                    lv[P] = Fraction(1, b) if self.exact else 1.0 / b
                else:
                    lv[P] = nxt[P] / tot[P]
            levels.append(lv)
        return LM(levels, b)

    def entropy(self) -> float:
        from .textdist import entropy

        return entropy(self)

    def to_float(self) -> "Distribution":
        return self if not self.exact else Distribution(_to_float_array(self.probs), self.b, self.N, validate=False)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n documents drawn i.i.d. from the probability vector, shape (n, N)."""
        pv = _to_float_array(self.probs)
        idx = rng.choice(len(pv), size=n, p=pv / pv.sum())
        return all_documents(self.b, self.N)[idx]


def as_distribution(p, b: int | None = None, N: int | None = None) -> Distribution:
    """Distribution, LM (its text distribution), LM callable or probability vector (the last
    two need b and N) → Distribution."""
    if isinstance(p, Distribution):
        return p
    if isinstance(p, LM):
        return p.distribution()
    if b is None or N is None:
        raise TypeError(f"cannot read {type(p).__name__} as a text distribution without b and N")
    if callable(p):
        return LM.from_callable(p, b, N).distribution()
    return Distribution(p, b, N)


def as_lm(q, b: int, N: int) -> LM:
    """LM table from an LM, a Distribution (its conditionals) or a callable ``q(prefix)``."""
    if isinstance(q, LM):
        if q.b != b or q.N < N:
            raise ConstructionError(f"LM has b={q.b}, N={q.N}; need b={b}, N≥{N}")
        return q if q.N == N else LM(q.levels[:N], b, validate=False)
    if isinstance(q, Distribution):
        return q.as_lm()
    if callable(q):
        return LM.from_callable(q, b, N)
    raise TypeError(f"expected an LM, a Distribution or a callable q(prefix), got {type(q).__name__}")


def text_distribution(q, b: int | None = None, N: int | None = None) -> np.ndarray:
    """q(x) over Σ^N for an LM (or a callable, with b and N)."""
    if not isinstance(q, LM):
        q = as_lm(q, b, N)
    return q.text()


__all__ = ["LM", "Distribution", "NotALanguageModel", "as_distribution", "as_lm", "text_distribution"]
