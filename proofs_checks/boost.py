"""Boosting a language model with a next-k-token distinguisher (THEORY §3; paper: Lemmas 1 and 2).

**Lemma 1 (project form).** For η > 0 (factor w = e^{−η}) and offset r ∈ {1..k},
q'(x) = q(x)·Π_{j∈I_r} w^{d(j,x)} / Z_j(x_{<j}),  Z_j(x_{<j}) = E_{y∼q(·|x_{<j})} w^{d(j,x_{<j}y)},
is a normalized text distribution and
KL(p‖q) − KL(p‖q') ≥ η·S_r − (η−1+e^{−η})·Σ_{j∈I_r} Q_j ≥ η·S_r − (η−1+e^{−η})·n_r ≥ η·S_r − (η²/2)·n_r
(Q_j = E_{x<j∼p} E_{y∼q} d ≤ 1). With η = α > 0 and r* = argmax_r (α·S_r − α²·n_r/2) the gain is
≥ α²·M/(2k) (the right sides sum over r to α²M/2); in fact ≥ α²·M/(2·min(k, M)), which is
≥ α²·N/(4k), the paper's form, for every N ≥ k.
**Lemma 2 (project form).** For a position i in a block [j, j+k−1], j ∈ I_r, ℓ = i − j,
q'(σ|x_{<i}) = Σ_{s: s[0..ℓ−1]=x_{j..i−1}, s[ℓ]=σ} w(s) / Σ_{s: s[0..ℓ−1]=x_{j..i−1}} w(s),
w(s) = u(s)·v(s), u(s) = q(s|x_{<j}), v(s) = e^{−η·d(j, x_{<j}s)}; for i < r and after the
last block q'(σ|x_{<i}) = q(σ|x_{<i}). This is the next-token conditional of Lemma 1's q'.

Parametrization: every function takes either ``eta=`` (float; w = e^{−η} in float64) or
``factor=`` (the factor w itself, e.g. a Fraction, for exact rational arithmetic; η = −log w).

Public API
----------
``boosted_text(q, d, *, k, r, eta=None, factor=None) -> Distribution``       Lemma 1's q'
``normalizers(q, d, *, k, r, eta=None, factor=None) -> {j: Z_j array over Σ^{j−1}}``
``boosted_conditional(q, d, *, k, r, eta=None, N, factor=None, b=None) -> BoostedLM``
          Lemma 2 as an LM callable ``q'(prefix) -> tuple`` (THEORY §6); ``.table()`` → LM;
          ``.rows(m, lo, hi)`` → the conditionals after the prefixes of length m with index in
          [lo, hi) (computed per block prefix, :mod:`proofs_checks.boost_blocks`);
          ``.four_functions(prefix)`` → (j, ℓ, [(s, u, v, 1_num(σ) for σ, 1_den)]).
``lemma1(p, q, d, *, k, r, eta=None, factor=None) -> Lemma1Report``          gain and bounds
``best_offset(adv) -> r*``;  ``lemma1_alpha(p, q, d, *, k) -> AlphaReport`` (η = |α|, r*;
          a negative α is handled by boosting with 1 − d, recorded as ``flipped``).
Tolerances: equalities in exact mode are ``==``; float64 inequalities are checked with an
absolute tolerance of 1e-12 (the gain is computed directly as E_p log(q'/q), not as a
difference of two KLs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from itertools import product

import numpy as np

from rnnsim.errors import ConstructionError
from rnnsim.registry import realizes

from .advantage import Advantage, advantage, as_table
from .boost_blocks import block_conditionals, raw_rows
from .textdist import LM, Distribution, _flog, as_distribution, as_lm, kl

__all__ = ["resolve_factor", "boosted_text", "normalizers", "boosted_conditional", "BoostedLM",
           "Lemma1Report", "lemma1", "best_offset", "AlphaReport", "lemma1_alpha", "anchor"]

TOL = 1e-12


def resolve_factor(eta=None, factor=None):
    """(w, η): exactly one of ``eta`` (w = e^{−η}, float) or ``factor`` (w > 0, η = −log w)."""
    if (eta is None) == (factor is None):
        raise TypeError("give exactly one of eta= (float) or factor= (the factor e^{-eta}, e.g. a Fraction)")
    if factor is not None:
        if isinstance(factor, (float, np.floating)):
            w = float(factor)
        else:
            w = Fraction(factor)
        if not (w > 0) or (isinstance(w, float) and not math.isfinite(w)):
            raise ConstructionError(f"factor e^(-eta) must be a finite positive number, got {factor!r}")
        return w, -_flog(w)
    eta = float(eta)
    if not math.isfinite(eta):
        raise ConstructionError(f"eta must be finite, got {eta!r}")
    return math.exp(-eta), eta


def _check_r(k: int, r: int):
    if not (isinstance(r, int) and 1 <= r <= k):
        raise ConstructionError(f"offset r must be an integer in 1..k = 1..{k}, got {r!r}")


def _wpow(Dj: np.ndarray, w) -> np.ndarray:
    """w^{d} elementwise for a 0/1 array (object array of Fractions for a Fraction w)."""
    if isinstance(w, Fraction):
        out = np.empty(Dj.shape, dtype=object)
        out[...] = Fraction(1)
        out[Dj == 1] = w
        return out
    return np.where(Dj == 1, float(w), 1.0)


def _exact_together(q: LM, w) -> LM:
    return q if (q.exact and isinstance(w, Fraction)) else q.to_float()


def normalizers(q, d, *, k: int, r: int, eta=None, factor=None, N: int | None = None, b: int | None = None) -> dict:
    """Z_j(z) = Σ_y q(y|z)·w^{d(j, zy)} for j ∈ I_r and every z ∈ Σ^{j−1}."""
    w, _ = resolve_factor(eta, factor)
    q = _lm(q, b, N)
    q = _exact_together(q, w)
    D = as_table(d, q.b, k, q.N)
    _check_r(k, r)
    out = {}
    for j in range(r, D.M + 1, k):
        W = _wpow(D.window(j), w)
        out[j] = (q.block_conditional(j - 1, k) * W).sum(axis=1)
    return out


def _lm(q, b, N) -> LM:
    if isinstance(q, LM):
        return q if N is None else as_lm(q, q.b, N)
    if b is None or N is None:
        raise TypeError("a callable q needs b= and N=")
    return as_lm(q, b, N)


@realizes("Lemma 1", "boosting q by e^{-η d} on the blocks j ∈ I_r gives a normalized q' with "
          "KL(p‖q) − KL(p‖q') ≥ η S_r − (η−1+e^{−η}) n_r ≥ η S_r − η² n_r/2",
          bound="η·S_r − (η−1+e^{−η})·n_r", kind="check")
def boosted_text(q, d, *, k: int, r: int, eta=None, factor=None, N: int | None = None,
                 b: int | None = None) -> Distribution:
    """Lemma 1's q'(x) = q(x)·Π_{j∈I_r} w^{d(j,x)}/Z_j(x_{<j}) over Σ^N (exact for a Fraction
    factor and an exact q). Not renormalized: its total is checked by the caller/tests."""
    w, _ = resolve_factor(eta, factor)
    q = _exact_together(_lm(q, b, N), w)
    b, N = q.b, q.N
    D = as_table(d, b, k, N)
    Z = normalizers(q, D, k=k, r=r, factor=w)
    vec = q.text().copy()
    for j, Zj in Z.items():
        F = _wpow(D.window(j), w) / Zj[:, None]                       # (b^{j-1}, b^k)
        vec = vec * np.repeat(F.reshape(-1), b ** (N - j + 1 - k))
    return Distribution(vec, b, N, validate=False)


def anchor(i: int, *, k: int, r: int, N: int) -> int | None:
    """The block start j ∈ I_r with j ≤ i < j + k, or None (i < r, or after the last block)."""
    if i < r:
        return None
    j = r + k * ((i - r) // k)
    return j if j <= N - k + 1 else None


class BoostedLM:
    """Lemma 2's q' as an LM callable, computed from the four functions u, v, 1_num, 1_den."""

    def __init__(self, q, d, *, k: int, r: int, N: int, w, b: int):
        _check_r(k, r)
        self.q, self.d, self.k, self.r, self.N, self.w, self.b = q, d, k, r, N, w, b
        self._uv = lru_cache(maxsize=None)(self._uv_uncached)
        self._blocks: dict = {}          # (j, zlo, zhi) → block_conditionals (a few, most recent)

    def __repr__(self) -> str:
        return f"BoostedLM(k={self.k}, r={self.r}, N={self.N}, w={self.w})"

    def __getstate__(self) -> dict:      # picklable (shards on other processes): caches stay behind
        return {k: v for k, v in self.__dict__.items() if k not in ("_uv", "_blocks")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._uv = lru_cache(maxsize=None)(self._uv_uncached)
        self._blocks = {}

    def _uv_uncached(self, z: tuple) -> tuple:
        """[(s, u(s), v(s)) for s ∈ Σ^k] after the prefix z = x_{<j}."""
        j = len(z) + 1
        rows = []
        for s in product(range(self.b), repeat=self.k):
            u = 1
            for t in range(self.k):
                u = u * self.q(z + s[:t])[s[t]]
            dv = self.d(j, z + s)
            if dv not in (0, 1):
                raise ConstructionError(f"d({j}, {z + s}) = {dv!r} is not 0 or 1")
            rows.append((s, u, self.w if dv == 1 else 1))
        return tuple(rows)

    def four_functions(self, prefix) -> tuple:
        """(j, ℓ, rows) for the position i = len(prefix)+1; rows = [(s, u(s), v(s),
        (1_num(s, σ) for σ ∈ Σ), 1_den(s))]; j is None outside the blocks."""
        prefix = tuple(int(t) for t in prefix)
        i = len(prefix) + 1
        j = anchor(i, k=self.k, r=self.r, N=self.N)
        if j is None:
            return None, None, []
        ell, seen = i - j, prefix[j - 1:]
        rows = []
        for s, u, v in self._uv(prefix[: j - 1]):
            den = int(s[:ell] == seen)
            rows.append((s, u, v, tuple(int(den and s[ell] == sg) for sg in range(self.b)), den))
        return j, ell, rows

    def __call__(self, prefix) -> tuple:
        prefix = tuple(int(t) for t in prefix)
        if len(prefix) >= self.N:
            raise ConstructionError(f"prefix of length {len(prefix)}: q' is defined for prefixes shorter than N = {self.N}")
        if any(not 0 <= t < self.b for t in prefix):
            raise ConstructionError(f"prefix {prefix} has a token outside Σ = {{0, …, {self.b - 1}}}")
        j, ell, rows = self.four_functions(prefix)
        if j is None:
            return tuple(self.q(prefix))
        num = [0] * self.b
        den = 0
        for s, u, v, one_num, one_den in rows:
            den = den + u * v * one_den
            for sg in range(self.b):
                num[sg] = num[sg] + u * v * one_num[sg]
        if den == 0:
            raise ZeroDivisionError(
                f"q'(·|{prefix}) is undefined: q gives probability 0 to the block prefix {prefix[j - 1:]} "
                f"after x_<{j} (Σ u·v·1_den = 0)")
        return tuple(nm / den for nm in num)

    def rows(self, m: int, lo: int, hi: int) -> np.ndarray:
        """q'(·|s_n) for the prefixes s_n of length m with n ∈ [lo, hi), shape (hi−lo, b): the
        values ``self(s_n)`` returns (same numbers, same Python types), computed per block
        prefix (:mod:`proofs_checks.boost_blocks`): u·v once per x_{<j}, every numerator and
        denominator one contiguous run of strings."""
        b = self.b
        if not (0 <= m < self.N and 0 <= lo <= hi <= b ** m):
            raise ConstructionError(f"rows({m}, {lo}, {hi}): need 0 ≤ m < N = {self.N} and 0 ≤ lo ≤ hi ≤ b^m")
        j = anchor(m + 1, k=self.k, r=self.r, N=self.N)
        if j is None:
            return raw_rows(self.q, m, lo, hi, b)
        if lo == hi:
            return np.empty((0, b), dtype=object)
        ell = m + 1 - j
        B = b ** ell
        zlo, zhi = lo // B, -(-hi // B)
        key = (j, zlo, zhi)
        if key not in self._blocks:
            if len(self._blocks) >= 4:
                self._blocks.pop(next(iter(self._blocks)))
            self._blocks[key] = block_conditionals(self.q, self.d, j, zlo, zhi, k=self.k, b=b, w=self.w)
        got = self._blocks[key][ell]
        if isinstance(got, ZeroDivisionError):
            raise got
        return got[lo - zlo * B: hi - zlo * B]

    def table(self) -> LM:
        """The conditional table (equal to ``LM.from_callable(self, b, N)``, entry by entry)."""
        levels = []
        for m in range(self.N):
            rows = self.rows(m, 0, self.b ** m)
            exact = rows.dtype == object and all(isinstance(v, (int, Fraction)) for v in rows.reshape(-1))
            if exact:
                lv = np.empty(rows.shape, dtype=object)
                lv.reshape(-1)[:] = [Fraction(v) for v in rows.reshape(-1)]
            else:
                lv = rows.astype(np.float64)
            levels.append(lv)
        self._blocks.clear()
        return LM(levels, self.b)


@realizes("Lemma 2", "the boosted next-token conditional Σ u·v·1_num / Σ u·v·1_den equals the "
          "conditional of the Lemma 1 distribution", bound="equality (exact)", kind="check")
def boosted_conditional(q, d, *, k: int, r: int, eta=None, N: int, factor=None, b: int | None = None) -> BoostedLM:
    """Lemma 2: q'(σ|x_{<i}) from the four functions (module docstring), as an LM callable.
    ``q``: LM or callable q(prefix); ``d``: callable d(j, x) or DistTable; b defaults to q.b
    (or 2 for a plain callable, the paper's binary alphabet)."""
    w, _ = resolve_factor(eta, factor)
    if b is None:
        b = getattr(q, "b", 2)
    if not 1 <= k <= N:
        raise ConstructionError(f"window k = {k} must satisfy 1 ≤ k ≤ N = {N}")
    return BoostedLM(q, d, k=k, r=r, N=N, w=w, b=b)


# ----------------------------------------------------------------------------- KL improvement

@dataclass
class Lemma1Report:
    r: int
    eta: float
    factor: object
    total: object              # Σ_x q'(x) (must be 1)
    gain: float                # KL(p‖q) − KL(p‖q'), computed as E_p log(q'/q)
    kl_before: float
    kl_after: float
    S_r: float
    n_r: int
    Q_sum: float               # Σ_{j∈I_r} Q_j
    bound_tight: float         # η S_r − (η−1+e^{−η}) Σ Q_j
    bound_exp: float           # η S_r − (η−1+e^{−η}) n_r
    bound_quad: float          # η S_r − (η²/2) n_r

    @property
    def slack(self) -> float:
        """gain − (η S_r − (η−1+e^{−η}) n_r)."""
        return self.gain - self.bound_exp


def lemma1(p, q, d, *, k: int, r: int, eta=None, factor=None, adv: Advantage | None = None) -> Lemma1Report:
    """Lemma 1 for one offset r and one η: q', its total mass, the KL gain and its lower bounds."""
    w, eta_f = resolve_factor(eta, factor)
    p = as_distribution(p)
    q = as_lm(q, p.b, p.N)
    D = as_table(d, p.b, k, p.N)
    _check_r(k, r)
    qp = boosted_text(q, D, k=k, r=r, factor=w)
    total = sum(qp.probs, Fraction(0)) if qp.exact else math.fsum(qp.probs)
    # gain = E_p Σ_{j∈I_r} [−η d(j,x) − log Z_j(x_<j)] (valid where q(x) > 0)
    Z = normalizers(q, D, k=k, r=r, factor=w)
    b, N = p.b, p.N
    terms = []
    for j, Zj in Z.items():
        pz = p.marginal(j - 1)
        pzy = p.marginal(j - 1 + k).reshape(b ** (j - 1), b ** k)
        dj = D.window(j)
        for zi in range(b ** (j - 1)):
            if pz[zi] > 0:
                terms.append(-float(pz[zi]) * _flog(Zj[zi]))
                terms.append(-eta_f * float(sum((pzy[zi][dj[zi] == 1]), 0)))
    gain = math.fsum(terms)
    a = adv if adv is not None else advantage(p, q, D, k=k)
    S_r, n_r = float(a.S[r]), a.n[r]
    Q_sum = math.fsum(float(a.Q[j - 1]) for j in a.I[r])
    c = eta_f - 1 + math.exp(-eta_f)
    return Lemma1Report(
        r=r, eta=eta_f, factor=w, total=total, gain=gain, kl_before=kl(p, q), kl_after=kl(p, qp),
        S_r=S_r, n_r=n_r, Q_sum=Q_sum, bound_tight=eta_f * S_r - c * Q_sum,
        bound_exp=eta_f * S_r - c * n_r, bound_quad=eta_f * S_r - eta_f ** 2 / 2 * n_r)


def best_offset(adv: Advantage) -> int:
    """r* = argmax_r (α·S_r − α²·n_r/2) (smallest r on ties)."""
    a = adv.alpha
    return max(adv.S, key=lambda r: (a * adv.S[r] - a * a * adv.n[r] / 2, -r))


@dataclass
class AlphaReport:
    alpha: float               # advantage of the distinguisher used (> 0 after flipping)
    flipped: bool              # True when d was replaced by 1 − d (original α < 0)
    r_star: int
    report: Lemma1Report | None
    N: int
    k: int
    M: int
    bound_M: float             # α² M / (2k)       (THEORY)
    bound_paper: float         # α² N / (4k)       (paper)
    bound_refined: float       # α² M / (2 min(k, M))

    @property
    def gain(self) -> float:
        return self.report.gain if self.report else 0.0


@realizes("Lemma 1", "with η = α > 0 and r* = argmax_r(α S_r − α² n_r/2): KL gain ≥ α² M/(2 min(k,M)) ≥ max(α² M/(2k), α² N/(4k))",
          bound="α²·M/(2k); paper: α²·N/(4k)", kind="check")
def lemma1_alpha(p, q, d, *, k: int) -> AlphaReport:
    """Boost with η = |α| at r* (using 1 − d when α < 0) and report the gain and the α² bounds."""
    p = as_distribution(p)
    D = as_table(d, p.b, k, p.N)
    a = advantage(p, q, D, k=k)
    flipped = a.alpha < 0
    if flipped:
        D = D.complement()
        a = advantage(p, q, D, k=k)
    alpha = float(a.alpha)
    M, N = a.M, p.N
    if alpha == 0:
        rep, r_star = None, 1
    else:
        r_star = best_offset(a)
        rep = lemma1(p, q, D, k=k, r=r_star, eta=alpha, adv=a)
    return AlphaReport(alpha=alpha, flipped=flipped, r_star=r_star, report=rep, N=N, k=k, M=M,
                       bound_M=alpha ** 2 * M / (2 * k), bound_paper=alpha ** 2 * N / (4 * k),
                       bound_refined=alpha ** 2 * M / (2 * min(k, M)))
