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
from itertools import chain

import numpy as np

from rnnsim.errors import ConstructionError
from rnnsim.registry import realizes
from rnnsim.roles import require_lm
from rnnsim.strings import prefix_index

from .lm import (  # noqa: F401 - the LM/Distribution API is part of this module's public API
    LM, Distribution, NotALanguageModel, _validate_conditionals, as_distribution, as_lm,
    text_distribution,
)

__all__ = [
    "LM", "Distribution", "NotALanguageModel", "text_distribution", "as_distribution", "as_lm",
    "entropy", "next_token_loss", "kl", "neg_log_likelihood", "lemma5_exact", "lemma6_exact",
    "check_lemma5", "check_lemma6", "random_lm", "random_distribution", "lm_from_rnn",
    "prefix_index",
]


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


def _sum_over_support(ps, qs, term) -> float:
    """math.fsum of term(p, q) over the pairs with p > 0; +inf as soon as such a q is ≤ 0
    (q gives probability 0 to something p can produce)."""
    terms = []
    for px, qx in zip(ps, qs):
        if px > 0:
            if qx <= 0:
                return math.inf
            terms.append(term(px, qx))
    return math.fsum(terms)


def entropy(p) -> float:
    """H(p) = −Σ_x p(x) log p(x) (natural log)."""
    p = as_distribution(p)
    return -math.fsum(float(px) * _flog(px) for px in p.probs if px > 0)


def neg_log_likelihood(p, q) -> float:
    """−E_{x∼p} log q(x) from whole-document probabilities (Lemma 5 right side)."""
    p, q = _pair(p, q)
    return _sum_over_support(p.probs, q.text(), lambda px, qx: -float(px) * _flog(qx))


def next_token_loss(p, q) -> float:
    """L_p(q) = −(1/N)·Σ_{m<N} Σ_{z∈Σ^{m+1}} p(z)·log q(z_{m+1}|z_{≤m}) (from conditionals)."""
    p, q = _pair(p, q)
    ps = chain.from_iterable(p.marginal(m + 1) for m in range(p.N))
    qs = chain.from_iterable(q.levels[m].reshape(-1) for m in range(p.N))
    return _sum_over_support(ps, qs, lambda pz, qz: -float(pz) * _flog(qz)) / p.N


def kl(p, q) -> float:
    """KL(p‖q) = Σ_x p(x)·log(p(x)/q(x)) over whole documents."""
    p = as_distribution(p)
    qt = q.probs if isinstance(q, Distribution) else as_lm(q, p.b, p.N).text()
    return _sum_over_support(p.probs, qt, lambda px, qx: float(px) * (_flog(px) - _flog(qx)))


def _common_denominator(p: Distribution, limit: int) -> int:
    if not p.exact:
        raise ConstructionError("the exact forms of Lemmas 5 and 6 need an exact (Fraction) distribution p")
    D = 1
    for v in p.probs:
        D = math.lcm(D, Fraction(v).denominator)
    if D > limit:
        raise ConstructionError(f"p has common denominator {D} > {limit}: the exponentiated identity would be too large")
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
        raise ConstructionError("lemma5_exact needs an exact LM q")
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
        raise ConstructionError("lemma6_exact needs an exact LM q")
    D = _common_denominator(p, limit)
    qt = q.text()
    if any(px > 0 and qx == 0 for px, qx in zip(p.probs, qt)):
        raise ConstructionError("q gives probability 0 to a document p can produce: both sides are +inf")
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
        raise ConstructionError(f"floor must lie in [0, 1/b] = [0, {1 / b}], got {floor}")
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
    (default 1e-9 for float64; fixed-point formats need an explicit ``tol``). A network
    whose role is not an LM (e.g. a distinguisher) is refused with RoleError; a network
    without a role is taken as it is."""
    import rnnsim
    from rnnsim.arith import Exact, Float64, parse_arithmetic
    from rnnsim.engines.base import raw_to_exact

    if getattr(rnn, "role", None) is not None:   # a network that says what it is must be an LM
        require_lm(rnn, "lm_from_rnn", what="the network")
    arith = parse_arithmetic(arithmetic)
    b = rnn.alphabet
    if isinstance(arith, Exact):
        out = raw_to_exact(rnnsim.simulate_all(rnn, N, arith, engine, raw=True), arith)
        tol_ = 0
    else:
        out = rnnsim.simulate_all(rnn, N, arith, engine)
        if tol is None and not isinstance(arith, Float64):
            raise ConstructionError(f"lm_from_rnn in {arith} arithmetic: conditionals are rounded; pass tol=")
        tol_ = 1e-9 if tol is None else tol
    q = LM.from_outputs(out, b, validate=False)
    name = getattr(rnn, "name", None) or "rnn"
    try:
        _validate_conditionals(q.levels, b, tol_, f"lm_from_rnn({name})")
    except NotALanguageModel as e:
        raise NotALanguageModel(f"{e} — the output node {rnn.output!r} does not compute an LM "
                                f"(THEORY §2.6: output at time mτ must be q(x_m|x_<m))") from None
    return q
