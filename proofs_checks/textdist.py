"""Language models, text distributions, next-token loss and KL on Σ^N (THEORY §3; paper: Lemmas 5, 6).

A language model (LM) q gives a next-token distribution q(·|x_{<i}) for every prefix; its
text distribution is q(x) = Π_i q(x_i|x_{<i}) on Σ^N. The next-token loss of q on data p is
L_p(q) = −(1/N)·E_{x∼p} Σ_i log q(x_i|x_{<i}).
**Lemma 5**: N·L_p(q) = −E_{x∼p} log q(x).  **Lemma 6**: N·L_p(q) = H(p) + KL(p‖q).
Everything is enumerated exactly over Σ^N for small N (b = 2: N ≤ ~14), in exact rational
arithmetic (Fractions, numpy object arrays) or float64.

Public API
----------
``LM(levels, b)``              conditional table; ``levels[m]`` has shape (b**m, b), row =
                               base-b index of the prefix (first token most significant),
                               column σ = q(σ|prefix). Callable: ``q(prefix) -> tuple`` of b
                               probabilities (THEORY §6). ``.b .N .exact``, ``.text()`` (q(x)
                               over Σ^N in the row order of ``rnnsim.all_documents(b, N)``),
                               ``.marginal(m)``, ``.block_conditional(L, k)``,
                               ``.distribution()``, ``.to_float()``, ``.sample(n, rng)``;
                               constructors ``LM.from_callable(q, b, N)``,
                               ``LM.from_weights(weights, b)``, ``LM.uniform(b, N)``.
``Distribution(probs, b, N)``  a true data distribution p (vector over Σ^N): ``.marginal(m)``,
                               ``.conditional(prefix)``, ``.as_lm()``, ``.entropy()``,
                               ``.sample(n, rng)``.
``entropy(p)``, ``next_token_loss(p, q)``, ``kl(p, q)``, ``neg_log_likelihood(p, q)`` — floats
(natural log; +inf where q gives probability 0 to something p can produce).
``lemma5_exact(p, q)``, ``lemma6_exact(p, q)`` — Lemmas 5 and 6 as exact rational identities
(see below); ``check_lemma5(p, q)``, ``check_lemma6(p, q)`` — float64 forms, return the error.
``random_lm(b, N, rng, exact=False, floor=0)``, ``random_distribution(b, N, rng, exact=False)``.
``lm_from_rnn(rnn, N, arithmetic="exact", engine="auto", tol=None)`` — the LM an LM RNN computes.

How Lemmas 5 and 6 are made exact: both sides contain logarithms. When p is rational with
common denominator D, multiplying by D and exponentiating (exp is injective) turns each side
into a product of rationals raised to the integer powers D·p(z). Lemma 5 becomes
Π_{m<N} Π_{z∈Σ^{m+1}} q(z_{m+1}|z_{≤m})^{D·p(z)} = Π_{x∈Σ^N} q(x)^{D·p(x)}, Lemma 6 becomes
Π_{m,z} q(z_{m+1}|z_{≤m})^{−D·p(z)} = Π_x p(x)^{−D·p(x)} · Π_x (p(x)/q(x))^{D·p(x)}, each
side computed independently (conditionals and marginals on the left, whole-document
probabilities on the right) and compared with ``==``.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Callable, Sequence

import numpy as np

from rnnsim.registry import realizes

__all__ = [
    "LM", "Distribution", "NotALanguageModel", "text_distribution", "as_distribution", "as_lm",
    "entropy", "next_token_loss", "kl", "neg_log_likelihood", "lemma5_exact", "lemma6_exact",
    "check_lemma5", "check_lemma6", "random_lm", "random_distribution", "lm_from_rnn",
    "prefix_index", "is_exact_array",
]


class NotALanguageModel(ValueError):
    """Conditionals that are not probability distributions (negative, or not summing to 1)."""


# ----------------------------------------------------------------------------- helpers

def is_exact_array(a: np.ndarray) -> bool:
    return a.dtype == object


def _to_exact_array(a) -> np.ndarray:
    a = np.asarray(a)
    out = np.empty(a.shape, dtype=object)
    flat = out.reshape(-1)
    for i, v in enumerate(a.reshape(-1)):
        if isinstance(v, (float, np.floating)) and not math.isfinite(float(v)):
            raise ValueError(f"non-finite probability {v!r} cannot be made exact")
        flat[i] = Fraction(v) if not isinstance(v, (np.integer, np.floating)) else Fraction(v.item())
    return out


def _to_float_array(a) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype == object:
        return np.vectorize(float, otypes=[np.float64])(a) if a.size else a.astype(np.float64)
    return a.astype(np.float64)


def prefix_index(prefix: Sequence[int], b: int) -> int:
    """Base-b index of a token tuple (first token most significant)."""
    idx = 0
    for t in prefix:
        idx = idx * b + int(t)
    return idx


def _check_prefix(prefix, b: int, max_len: int, what: str) -> tuple[int, ...]:
    try:
        pre = tuple(int(t) for t in prefix)
    except TypeError:
        raise TypeError(f"{what}: prefix must be a sequence of tokens, got {prefix!r}") from None
    if len(pre) > max_len:
        raise ValueError(f"{what}: prefix of length {len(pre)} is longer than {max_len} (N = {max_len + 1})")
    for i, t in enumerate(pre):
        if not 0 <= t < b:
            raise ValueError(f"{what}: token x_{i + 1} = {t} is outside Σ = {{0, …, {b - 1}}}")
    return pre


def _sum_rows(a: np.ndarray) -> np.ndarray:
    return a.sum(axis=1) if a.dtype != object else np.array([sum(r, Fraction(0)) for r in a], dtype=object)


def _validate_conditionals(levels, b: int, tol, what: str) -> None:
    for m, lev in enumerate(levels):
        if lev.shape != (b ** m, b):
            raise ValueError(f"{what}: level {m} has shape {lev.shape}, expected {(b ** m, b)}")
        neg = np.argwhere(lev < 0) if lev.size else []
        if len(neg):
            P, s = (int(i) for i in neg[0])
            raise NotALanguageModel(f"{what}: q({s} | prefix {_unindex(P, b, m)}) = {lev[P, s]} < 0")
        sums = _sum_rows(lev)
        for P, sm in enumerate(sums):
            bad = (sm != 1) if tol == 0 else abs(float(sm) - 1.0) > tol
            if bad:
                raise NotALanguageModel(
                    f"{what}: the conditionals after prefix {_unindex(P, b, m)} (length {m}) sum to {sm}, not 1"
                    + ("" if tol == 0 else f" (tolerance {tol})"))


def _unindex(P: int, b: int, m: int) -> tuple[int, ...]:
    return tuple((P // b ** (m - 1 - i)) % b for i in range(m))


# ----------------------------------------------------------------------------- LM

class LM:
    """A language model on Σ^{<N} as a conditional table (see the module docstring)."""

    def __init__(self, levels: Sequence, b: int, *, validate: bool = True, tol: float | None = None):
        if not (isinstance(b, int) and b >= 2):
            raise ValueError(f"alphabet size b must be an integer ≥ 2, got {b!r}")
        levels = [np.asarray(lv) for lv in levels]
        if not levels:
            raise ValueError("an LM needs at least one level (N ≥ 1)")
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
            rows = [tuple(q(_unindex(P, b, m))) for P in range(b ** m)]
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

    def to_exact(self) -> "LM":
        """Exact copy; float entries become the exact binary rationals they denote."""
        if self.exact:
            return self
        return LM([_to_exact_array(lv) for lv in self.levels], self.b, validate=False)

    def marginal(self, m: int) -> np.ndarray:
        """q(x_{≤m}) for every x ∈ Σ^m (vector of length b**m)."""
        if not 0 <= m <= self.N:
            raise ValueError(f"marginal length {m} outside 0..{self.N}")
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
            raise ValueError(f"block of length {k} after a prefix of length {L} exceeds N = {self.N}")
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
            raise ValueError(f"Distribution: {self.probs.shape} probabilities given, expected ({b ** N},) = b^N")
        if validate:
            if np.any(self.probs < 0):
                i = int(np.argwhere(self.probs < 0)[0][0])
                raise NotALanguageModel(f"Distribution: p(document {_unindex(i, b, N)}) = {self.probs[i]} < 0")
            tot = sum(self.probs, Fraction(0)) if exact else math.fsum(self.probs)
            if (tot != 1) if exact else abs(tot - 1) > tol:
                raise NotALanguageModel(f"Distribution: probabilities sum to {tot}, not 1")

    def __repr__(self) -> str:
        return f"Distribution(b={self.b}, N={self.N}, {'exact' if self.exact else 'float64'})"

    def marginal(self, m: int) -> np.ndarray:
        """p(x_{≤m}) for every x ∈ Σ^m (cached; treat ``probs`` as read-only)."""
        if not 0 <= m <= self.N:
            raise ValueError(f"marginal length {m} outside 0..{self.N}")
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
            raise ValueError(f"Distribution: prefix {pre} has probability 0; its conditional is undefined")
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
        return entropy(self)

    def to_float(self) -> "Distribution":
        return self if not self.exact else Distribution(_to_float_array(self.probs), self.b, self.N, validate=False)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n documents drawn i.i.d. from the probability vector, shape (n, N)."""
        pv = _to_float_array(self.probs)
        idx = rng.choice(len(pv), size=n, p=pv / pv.sum())
        return np.stack([(idx // self.b ** (self.N - 1 - i)) % self.b for i in range(self.N)], axis=1)


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
            raise ValueError(f"LM has b={q.b}, N={q.N}; need b={b}, N≥{N}")
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


# ----------------------------------------------------------------------------- losses

def _pair(p, q):
    p = as_distribution(p)
    q = as_lm(q, p.b, p.N)
    return p, q


def _flog(v) -> float:
    v = float(v) if not isinstance(v, Fraction) else v
    if isinstance(v, Fraction):  # exact log of a rational: log num − log den (no underflow)
        return math.log(v.numerator) - math.log(v.denominator)
    return math.log(v)


def entropy(p) -> float:
    """H(p) = −Σ_x p(x) log p(x) (natural log)."""
    p = as_distribution(p)
    return -math.fsum(float(px) * _flog(px) for px in p.probs if px > 0)


def neg_log_likelihood(p, q) -> float:
    """−E_{x∼p} log q(x) from whole-document probabilities (Lemma 5 right side)."""
    p, q = _pair(p, q)
    qt = q.text()
    terms = []
    for px, qx in zip(p.probs, qt):
        if px > 0:
            if qx <= 0:
                return math.inf
            terms.append(-float(px) * _flog(qx))
    return math.fsum(terms)


def next_token_loss(p, q) -> float:
    """L_p(q) = −(1/N)·Σ_{m<N} Σ_{z∈Σ^{m+1}} p(z)·log q(z_{m+1}|z_{≤m}) (from conditionals)."""
    p, q = _pair(p, q)
    terms = []
    for m in range(p.N):
        pm = p.marginal(m + 1)
        qc = q.levels[m].reshape(-1)
        for pz, qz in zip(pm, qc):
            if pz > 0:
                if qz <= 0:
                    return math.inf
                terms.append(-float(pz) * _flog(qz))
    return math.fsum(terms) / p.N


def kl(p, q) -> float:
    """KL(p‖q) = Σ_x p(x)·log(p(x)/q(x)) over whole documents."""
    p = as_distribution(p)
    qt = q.probs if isinstance(q, Distribution) else as_lm(q, p.b, p.N).text()
    terms = []
    for px, qx in zip(p.probs, qt):
        if px > 0:
            if qx <= 0:
                return math.inf
            terms.append(float(px) * (_flog(px) - _flog(qx)))
    return math.fsum(terms)


def _common_denominator(p: Distribution, limit: int) -> int:
    if not p.exact:
        raise ValueError("the exact forms of Lemmas 5 and 6 need an exact (Fraction) distribution p")
    D = 1
    for v in p.probs:
        D = math.lcm(D, Fraction(v).denominator)
    if D > limit:
        raise ValueError(f"p has common denominator {D} > {limit}: the exponentiated identity would be too large")
    return D


def _power_product(pairs) -> Fraction:
    out = Fraction(1)
    for base, e in pairs:
        if e:
            out *= Fraction(base) ** e
    return out


@realizes("Lemma 5", "N·L_p(q) = −E_{x∼p} log q(x): next-token loss is document log-likelihood",
          bound="equality (exact, exponentiated)", kind="check")
def lemma5_exact(p, q, *, limit: int = 10 ** 4) -> tuple[Fraction, Fraction]:
    """Lemma 5 with both sides multiplied by −D and exponentiated (module docstring):
    returns (Π_{m,z} q(z_{m+1}|z_{≤m})^{D·p(z)}, Π_x q(x)^{D·p(x)}); equal iff Lemma 5 holds."""
    p, q = _pair(p, q)
    if not q.exact:
        raise ValueError("lemma5_exact needs an exact LM q")
    D = _common_denominator(p, limit)
    left = _power_product((qz, int(pz * D)) for m in range(p.N)
                          for pz, qz in zip(p.marginal(m + 1), q.levels[m].reshape(-1)))
    right = _power_product((qx, int(px * D)) for px, qx in zip(p.probs, q.text()))
    return left, right


@realizes("Lemma 6", "N·L_p(q) = H(p) + KL(p‖q)", bound="equality (exact, exponentiated)", kind="check")
def lemma6_exact(p, q, *, limit: int = 10 ** 4) -> tuple[Fraction, Fraction]:
    """Lemma 6 multiplied by D and exponentiated: returns (exp(D·N·L_p(q)),
    exp(D·H(p))·exp(D·KL(p‖q))), each an exact rational; equal iff Lemma 6 holds.
    Needs q > 0 wherever p > 0 (otherwise both sides are +∞)."""
    p, q = _pair(p, q)
    if not q.exact:
        raise ValueError("lemma6_exact needs an exact LM q")
    D = _common_denominator(p, limit)
    qt = q.text()
    if any(px > 0 and qx == 0 for px, qx in zip(p.probs, qt)):
        raise ValueError("q gives probability 0 to a document p can produce: both sides are +inf")
    exp_loss = 1 / _power_product((qz, int(pz * D)) for m in range(p.N)
                                  for pz, qz in zip(p.marginal(m + 1), q.levels[m].reshape(-1)))
    exp_h = 1 / _power_product((px, int(px * D)) for px in p.probs)
    exp_kl = _power_product((px / qx, int(px * D)) for px, qx in zip(p.probs, qt) if px > 0)
    return exp_loss, exp_h * exp_kl


@realizes("Lemma 5", "N·L_p(q) = −E_{x∼p} log q(x)", bound="|error| ≤ 1e-12·(1+|N·L|) in float64", kind="check")
def check_lemma5(p, q) -> float:
    """|N·L_p(q) − (−E_p log q(x))| computed in float64 from independent formulas."""
    p, q = _pair(p, q)
    return abs(p.N * next_token_loss(p, q) - neg_log_likelihood(p, q))


@realizes("Lemma 6", "N·L_p(q) = H(p) + KL(p‖q)", bound="|error| ≤ 1e-12·(1+|N·L|) in float64", kind="check")
def check_lemma6(p, q) -> float:
    """|N·L_p(q) − H(p) − KL(p‖q)| computed in float64."""
    p, q = _pair(p, q)
    return abs(p.N * next_token_loss(p, q) - entropy(p) - kl(p, q))


# ----------------------------------------------------------------------------- random instances

def random_lm(b: int, N: int, rng: np.random.Generator, *, exact: bool = False, floor=0,
              concentration: float = 1.0, max_weight: int = 9) -> LM:
    """A random LM. float: each conditional is floor + (1 − b·floor)·Dirichlet(concentration);
    exact: floor + (1 − b·floor)·w/Σw with integer weights w ∈ [0, max_weight] (never all 0).
    ``floor`` ≤ 1/b is a probability lower bound μ (Lemma 15, 16)."""
    floor_q = Fraction(floor) if exact else float(floor)
    if floor_q < 0 or b * floor_q > 1:
        raise ValueError(f"floor must lie in [0, 1/b] = [0, {1 / b}], got {floor}")
    levels = []
    for m in range(N):
        if exact:
            w = rng.integers(0, max_weight + 1, size=(b ** m, b))
            zero = w.sum(axis=1) == 0
            w[zero, rng.integers(0, b, size=int(zero.sum()))] = 1
            lv = np.empty((b ** m, b), dtype=object)
            for P in range(b ** m):
                tot = int(w[P].sum())
                lv[P] = [floor_q + (1 - b * floor_q) * Fraction(int(v), tot) for v in w[P]]
        else:
            lv = floor_q + (1 - b * floor_q) * rng.dirichlet([concentration] * b, size=b ** m)
        levels.append(lv)
    return LM(levels, b)


def random_distribution(b: int, N: int, rng: np.random.Generator, *, exact: bool = False,
                        zero_fraction: float = 0.0, max_weight: int = 5) -> Distribution:
    """A random text distribution; ``zero_fraction`` of the documents get probability 0
    (at least one keeps positive mass). exact: integer weights / their total (small common
    denominator, so that ``lemma5_exact``/``lemma6_exact`` stay cheap)."""
    n = b ** N
    if exact:
        w = rng.integers(1, max_weight + 1, size=n)
    else:
        w = rng.exponential(size=n)
    if zero_fraction > 0:
        mask = rng.random(n) < zero_fraction
        if mask.all():
            mask[rng.integers(n)] = False
        w = np.where(mask, 0, w)
    if exact:
        tot = int(w.sum())
        return Distribution(np.array([Fraction(int(v), tot) for v in w], dtype=object), b, N)
    return Distribution(w / w.sum(), b, N)


# ----------------------------------------------------------------------------- from an RNN

def lm_from_rnn(rnn, N: int, arithmetic="exact", engine: str = "auto", *, tol: float | None = None) -> LM:
    """The LM computed by an LM RNN (THEORY §2.6): the output at time m·τ is q(x_m|x_{<m}), so
    q(σ|prefix) = output on prefix·σ. All b^N documents are run in one ``simulate_all`` batch.
    Raises NotALanguageModel (naming the prefix and the sum) when the recovered conditionals
    are negative or do not sum to 1 — exactly in ``exact`` mode, within ``tol`` otherwise
    (default 1e-9 for float64; fixed-point formats need an explicit ``tol``)."""
    import rnnsim
    from rnnsim.arith import Exact, Float64, parse_arithmetic
    from rnnsim.engines.base import raw_to_exact

    arith = parse_arithmetic(arithmetic)
    b = rnn.alphabet
    if isinstance(arith, Exact):
        out = raw_to_exact(rnnsim.simulate_all(rnn, N, arith, engine, raw=True), arith)
        tol_ = 0
    else:
        out = rnnsim.simulate_all(rnn, N, arith, engine)
        if tol is None and not isinstance(arith, Float64):
            raise ValueError(f"lm_from_rnn in {arith} arithmetic: conditionals are rounded; pass tol=")
        tol_ = 1e-9 if tol is None else tol
    levels = []
    for m in range(N):
        col = out[:: b ** (N - m - 1), m]
        lv = np.asarray(col).reshape(b ** m, b)
        levels.append(_to_exact_array(lv) if isinstance(arith, Exact) else lv.astype(np.float64))
    name = getattr(rnn, "name", None) or "rnn"
    try:
        _validate_conditionals(levels, b, tol_, f"lm_from_rnn({name})")
    except NotALanguageModel as e:
        raise NotALanguageModel(f"{e} — the output node {rnn.output!r} does not compute an LM "
                                f"(THEORY §2.6: output at time mτ must be q(x_m|x_<m))") from None
    return LM(levels, b, validate=False)
