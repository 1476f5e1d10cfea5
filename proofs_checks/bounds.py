"""Inequalities of the paper checked on exact enumerations (THEORY §3; paper: Theorem 3,
Lemma 17, Lemmas 13–16, Lemma 4 / Algorithm 1).

**Theorem 3 (project form).** |α| ≤ sqrt(k·KL(p‖q)/(2M)). Steps (each checked): per window
|A_j| ≤ E_{x<j∼p} TV(p(·|x_{<j}), q(·|x_{<j})) ≤ sqrt(K_j/2) with K_j = E_{x<j∼p} KL of the
next-k-token conditionals (Pinsker + Jensen, Lemma 17), and Σ_j K_j ≤ k·KL(p‖q) (chain rule;
each position lies in at most k windows).
**Lemma 13.** a_i, b_i ∈ [0,1], |a_i − b_i| ≤ δ (i = 1..m) ⇒ |Π a_i − Π b_i| ≤ m·δ.
**Lemma 14 (derived; ratio perturbation).** 0 ≤ a ≤ b, b ≥ μ > δ ≥ 0, |ã − a| ≤ δ,
|b̃ − b| ≤ δ ⇒ |ã/b̃ − a/b| ≤ 2δ/(μ − δ). Proof: |ãb − ab̃| ≤ δ(a + b) ≤ 2δb and b̃ ≥ b − δ,
so |ã/b̃ − a/b| ≤ 2δb/(b(b − δ)) ≤ 2δ/(μ − δ). Tight at a = b = μ, ã = μ + δ, b̃ = μ − δ.
**Lemma 15.** If q ≥ μ everywhere then the Lemma 2 model satisfies q' ≥ e^{−η}·q ≥ μ·e^{−η}
(since e^{−η} ≤ v ≤ 1, the ratio Σu·v·1_num / Σu·v·1_den ≥ e^{−η}·Σu·1_num / Σu·1_den = e^{−η}q).
**Lemma 16 (derived; loss under perturbation).** If q' ≥ μ everywhere and q̃ (any
nonnegative table, e.g. a quantized q') has |q̃ − q'| ≤ δ < μ pointwise, then for every p
L_p(q̃) − L_p(q') ≤ −log(1 − δ/μ), and −log(1 − δ/μ) ≤ δ/(μ−δ) ≤ 2δ/μ when μ ≥ 2δ.
Proof: log q' − log q̃ = −log(q̃/q') ≤ −log(1 − δ/q') ≤ −log(1 − δ/μ), averaged over p and i.
Tight when p only produces tokens with q' = μ and q̃ = μ − δ there.
**Lemma 4 / Algorithm 1.** If L*_0 ≥ L*_1 ≥ … ≥ 0, then #{m : L*_m − L*_{m+1} > ε} ≤ L*_0/ε.
Boosting bookkeeping (THEORY §4.6, one round with distinguisher D):
|H'| = |H| + |H_D| + c·k + c0,  |R'| = |R| + 2|H| + |D| + 2|H_D| + c·k + c0,
τ' = (2^k+1)·k·(max(τ, τ_D) + 1) + c_τ; closed forms after t rounds:
H_t = H_0 + t·g, g = |H_D| + ck + c0;  R_t = R_0 + t·(2H_0 + |D| + 2|H_D| + ck + c0) + t(t−1)·g;
τ_t = K^t·τ_0 + (K + c_τ)(K^t − 1)/(K − 1), K = (2^k+1)k (when τ_0 ≥ τ_D).
Each round with advantage ≥ ε gains ≥ ε²M/(2k) in KL, so from the uniform model
(KL ≤ N·log b) at most N·log b·2k/(ε²M) rounds happen.

Public API: ``theorem3(p, q, d, *, k)``, ``lemma13(a, b)``, ``lemma14(a, b, at, bt, mu)``,
``lemma15(q, d, *, k, r, mu, eta=None, factor=None)``, ``lemma16(p, q_tilde, q_prime, mu)``,
``boosting_sequence(...)`` / ``boosting_closed_form(...)``, ``bad_indices(losses, eps)``,
``lemma4_count(losses, eps)``, ``max_rounds(N, b, k, eps)``,
``iterate_boosting(p, q0, distinguishers, *, k, eps, max_iter)``; random instance makers
``random_lemma13``, ``random_lemma14``, ``random_lemma16``, ``random_monotone``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rnnsim.errors import ConstructionError
from rnnsim.registry import realizes

from . import boost as pboost
from .advantage import advantage, as_table
from .textdist import LM, as_distribution, as_lm, kl, next_token_loss

__all__ = [
    "Theorem3Report", "theorem3", "lemma13", "lemma14", "lemma15", "lemma16",
    "boosting_sequence", "boosting_closed_form", "bad_indices", "lemma4_count", "max_rounds",
    "iterate_boosting", "random_lemma13", "random_lemma14", "random_lemma16", "random_monotone",
]


# ----------------------------------------------------------------------------- Theorem 3

@dataclass
class Theorem3Report:
    alpha: float
    kl: float
    M: int
    k: int
    bound: float                   # sqrt(k·KL/(2M))
    window_kl: list                # K_j
    window_tv: list                # E_{x<j∼p} TV of the next-k-token conditionals
    window_gap: list               # min over steps of (bound − measured) for each window
    chain_gap: float               # k·KL − Σ_j K_j (≥ 0: each position lies in ≤ k windows)

    @property
    def slack(self) -> float:
        return self.bound - abs(self.alpha)


@realizes("Lemma 17", "|A_j| ≤ E_p TV ≤ sqrt(K_j/2) per window (Pinsker, Jensen)", bound="sqrt(K_j/2)", kind="check")
@realizes("Theorem 3", "|α| ≤ sqrt(k·KL(p‖q)/(2M)) (Pinsker per window, Jensen, ≤ k windows per position)",
          bound="sqrt(k·KL(p‖q)/(2M))", kind="check")
def theorem3(p, q, d, *, k: int) -> Theorem3Report:
    """|α|, KL and the Theorem 3 bound, with the per-window steps of its proof."""
    p = as_distribution(p)
    q = as_lm(q, p.b, p.N).to_float()
    pf = p.to_float()
    b, N = p.b, p.N
    D = as_table(d, b, k, N)
    a = advantage(pf, q, D, k=k)
    KL = kl(pf, q)
    M = a.M
    Ks, TVs, gaps = [], [], []
    for j in range(1, M + 1):
        pz = pf.marginal(j - 1)
        pzy = pf.marginal(j - 1 + k).reshape(b ** (j - 1), b ** k)
        qyz = q.block_conditional(j - 1, k)
        Kj, TVj = [], []
        for zi in range(b ** (j - 1)):
            if pz[zi] <= 0:
                continue
            pc = pzy[zi] / pz[zi]
            TVj.append(pz[zi] * 0.5 * np.abs(pc - qyz[zi]).sum())
            mask = pc > 0
            if np.any(qyz[zi][mask] <= 0):
                Kj.append(math.inf)
            else:
                Kj.append(pz[zi] * math.fsum(pc[mask] * np.log(pc[mask] / qyz[zi][mask])))
        K, TV = math.fsum(Kj), math.fsum(TVj)
        Ks.append(K)
        TVs.append(TV)
        gaps.append(min(TV - abs(float(a.A[j - 1])), math.sqrt(max(K, 0) / 2) - TV))
    bound = math.sqrt(k * KL / (2 * M)) if math.isfinite(KL) else math.inf
    chain = k * KL - math.fsum(Ks) if math.isfinite(KL) else math.inf
    return Theorem3Report(float(a.alpha), KL, M, k, bound, Ks, TVs, gaps, chain)


# ----------------------------------------------------------------------------- Lemmas 13, 14

@realizes("Lemma 13", "a_i, b_i ∈ [0,1], |a_i − b_i| ≤ δ ⇒ |Π a_i − Π b_i| ≤ m·δ", bound="m·δ", kind="check")
def lemma13(a, b) -> tuple:
    """(|Π a − Π b|, m·δ) with δ = max |a_i − b_i| (exact for Fractions)."""
    a, b = list(a), list(b)
    if len(a) != len(b) or any(not (0 <= v <= 1) for v in a + b):
        raise ConstructionError("lemma13 needs two sequences of equal length with entries in [0, 1]")
    delta = max((abs(x - y) for x, y in zip(a, b)), default=0)
    pa = pb = 1
    for x, y in zip(a, b):
        pa, pb = pa * x, pb * y
    return abs(pa - pb), len(a) * delta


@realizes("Lemma 14", "0 ≤ a ≤ b, b ≥ μ > δ, |ã−a|, |b̃−b| ≤ δ ⇒ |ã/b̃ − a/b| ≤ 2δ/(μ−δ)",
          bound="2δ/(μ−δ)", kind="check")
def lemma14(a, b, at, bt, mu) -> tuple:
    """(|ã/b̃ − a/b|, 2δ/(μ−δ)) with δ = max(|ã − a|, |b̃ − b|)."""
    delta = max(abs(at - a), abs(bt - b))
    if not (0 <= a <= b and b >= mu > delta >= 0):
        raise ConstructionError(f"lemma14 needs 0 ≤ a ≤ b, b ≥ μ > δ ≥ 0 (a={a}, b={b}, μ={mu}, δ={delta})")
    return abs(at / bt - a / b), 2 * delta / (mu - delta)


# ----------------------------------------------------------------------------- Lemma 15

@realizes("Lemma 15", "q ≥ μ ⇒ boosted q' ≥ e^{−η}·q ≥ μ·e^{−η}", bound="μ·e^{−η}", kind="check")
def lemma15(q, d, *, k: int, r: int, mu, eta=None, factor=None) -> tuple:
    """(min over prefixes and tokens of q'(σ|x) − w·q(σ|x), min q', μ·w); needs q ≥ μ.
    Exact for an exact q and a Fraction factor."""
    w, _ = pboost.resolve_factor(eta, factor)
    if not isinstance(q, LM):
        raise TypeError("lemma15 needs an LM table q (use textdist.LM.from_callable)")
    if any(v < mu for lv in q.levels for v in lv.reshape(-1)):
        raise ConstructionError(f"lemma15 needs q ≥ μ = {mu} everywhere")
    T = pboost.boosted_conditional(q, d, k=k, r=r, factor=w, N=q.N).table()
    gap = min(min(x - w * y for x, y in zip(T.levels[m].reshape(-1), q.levels[m].reshape(-1)))
              for m in range(q.N))
    low = min(min(T.levels[m].reshape(-1)) for m in range(q.N))
    return gap, low, mu * w


# ----------------------------------------------------------------------------- Lemma 16

@realizes("Lemma 16", "q' ≥ μ, |q̃ − q'| ≤ δ < μ ⇒ L_p(q̃) − L_p(q') ≤ −log(1 − δ/μ) (≤ 2δ/μ for μ ≥ 2δ)",
          bound="−log(1 − δ/μ)", kind="check")
def lemma16(p, q_tilde: LM, q_prime: LM, mu) -> tuple:
    """(L_p(q̃) − L_p(q'), −log(1 − δ/μ), δ) with δ = max |q̃ − q'|; q̃ may be unnormalized."""
    p = as_distribution(p)
    if any(v < mu for lv in q_prime.levels for v in lv.reshape(-1)):
        raise ConstructionError(f"lemma16 needs q' ≥ μ = {mu} everywhere")
    delta = max(float(abs(x - y)) for a, b in zip(q_tilde.levels, q_prime.levels)
                for x, y in zip(a.reshape(-1), b.reshape(-1)))
    if delta >= mu:
        raise ConstructionError(f"lemma16 needs δ = {delta} < μ = {mu}")
    diff = next_token_loss(p, q_tilde) - next_token_loss(p, q_prime)
    return diff, -math.log1p(-delta / float(mu)), delta


# ----------------------------------------------------------------------------- Lemma 4 / Algorithm 1

def boosting_sequence(R0: int, H0: int, tau0: int, *, D: int, HD: int, tauD: int, k: int, rounds: int,
                      c: int, c0: int, c_tau: int) -> list[dict]:
    """Upper bounds on (size, hidden, tau) after 0..rounds boosting rounds, by the recursion
    of THEORY §4.6 (one distinguisher of size D, hidden HD, time tauD every round)."""
    out = [dict(size=R0, hidden=H0, tau=tau0)]
    K = (2 ** k + 1) * k
    for _ in range(rounds):
        s = out[-1]
        out.append(dict(size=s["size"] + 2 * s["hidden"] + D + 2 * HD + c * k + c0,
                        hidden=s["hidden"] + HD + c * k + c0,
                        tau=K * (max(s["tau"], tauD) + 1) + c_tau))
    return out


@realizes("Lemma 4", "self-boosting bookkeeping: hidden size linear, size quadratic, time ((2^k+1)k)^t in the "
          "rounds; monotone losses L*_m ≥ 0 have ≤ L*_0/ε indices with L*_m − L*_{m+1} > ε",
          bound="#bad ≤ L*_0/ε", kind="check")
def boosting_closed_form(R0: int, H0: int, tau0: int, *, D: int, HD: int, tauD: int, k: int, t: int,
                         c: int, c0: int, c_tau: int) -> dict:
    """The closed forms of the module docstring after t rounds (τ_0 ≥ τ_D assumed for τ)."""
    g = HD + c * k + c0
    K = (2 ** k + 1) * k
    if tau0 < tauD:
        raise ConstructionError("the closed form for τ assumes τ_0 ≥ τ_D (otherwise start from round 1)")
    return dict(size=R0 + t * (2 * H0 + D + 2 * HD + c * k + c0) + t * (t - 1) * g,
                hidden=H0 + t * g,
                tau=K ** t * tau0 + (K + c_tau) * (K ** t - 1) // (K - 1))


def bad_indices(losses, eps) -> list[int]:
    """m with L*_m − L*_{m+1} > ε."""
    L = list(losses)
    return [m for m in range(len(L) - 1) if L[m] - L[m + 1] > eps]


def lemma4_count(losses, eps) -> tuple:
    """(#bad indices, L*_0/ε) for a nonincreasing nonnegative sequence (checked)."""
    L = list(losses)
    if any(v < 0 for v in L) or any(L[m + 1] > L[m] for m in range(len(L) - 1)):
        raise ConstructionError("lemma4_count needs a nonincreasing sequence of nonnegative losses")
    return len(bad_indices(L, eps)), L[0] / eps


def max_rounds(N: int, b: int, k: int, eps: float) -> float:
    """Rounds of boosting with advantage ≥ ε possible from the uniform model: N·log b / (ε²M/(2k))."""
    M = N - k + 1
    return N * math.log(b) / (eps ** 2 * M / (2 * k))


def iterate_boosting(p, q0: LM, distinguishers, *, k: int, eps: float, max_iter: int = 1000) -> list[dict]:
    """Algorithm 1 on exact distributions: while some distinguisher of the class has |α| ≥ ε,
    boost with the best one (η = |α|, r*). Returns one row per state: kl, alpha (best |α|),
    gain, bound (α²M/(2k)) — the gain of each round must be ≥ its bound."""
    p = as_distribution(p).to_float()
    q = q0.to_float()
    ds = [as_table(d, p.b, k, p.N) for d in distinguishers]
    rows = []
    for _ in range(max_iter + 1):
        advs = [abs(float(advantage(p, q, d, k=k).alpha)) for d in ds]
        best = int(np.argmax(advs))
        row = dict(kl=kl(p, q), alpha=advs[best], gain=None, bound=None)
        rows.append(row)
        if advs[best] < eps:
            break
        rep = pboost.lemma1_alpha(p, q, ds[best], k=k)
        d_used = ds[best].complement() if rep.flipped else ds[best]
        qp = pboost.boosted_text(q, d_used, k=k, r=rep.r_star, eta=rep.alpha)
        row["gain"], row["bound"] = rep.gain, rep.bound_M
        q = qp.as_lm()
    return rows


# ----------------------------------------------------------------------------- random instances

def random_lemma13(rng: np.random.Generator, m: int, delta: float):
    a = rng.random(m)
    if rng.random() < 0.3:
        a = 1 - a * delta                      # near the tight corner a_i ≈ 1, b_i = a_i − δ
    b = np.clip(a + rng.uniform(-delta, delta, m), 0, 1)
    return list(a), list(b)


def random_lemma14(rng: np.random.Generator):
    mu = rng.uniform(0.01, 1)
    delta = rng.uniform(0, 0.99) * mu
    b = mu + rng.exponential(0.3)
    a = rng.uniform(0, b)
    return a, b, a + rng.uniform(-delta, delta), b + rng.uniform(-delta, delta), mu


def random_lemma16(rng: np.random.Generator, b: int, N: int, *, tight: bool = False):
    """(p, q̃, q', μ): q' with floor μ, q̃ = q' perturbed by at most δ < μ (unnormalized)."""
    from .textdist import random_distribution, random_lm

    mu = rng.uniform(0.01, 1 / b)
    qp = random_lm(b, N, rng, floor=mu)
    delta = rng.uniform(0, 0.95) * mu
    if tight:                                   # tokens with q' = μ exactly, q̃ = μ − δ there
        qp = LM([np.tile([mu] + [(1 - mu) / (b - 1)] * (b - 1), (b ** m, 1)) for m in range(N)], b)
        qt = LM([lv - np.array([delta] + [0.0] * (b - 1)) for lv in qp.levels], b, validate=False)
        probs = np.zeros(b ** N)
        probs[0] = 1.0                          # p = point mass on 0…0
        from .textdist import Distribution
        return Distribution(probs, b, N), qt, qp, mu
    qt = LM([lv + rng.uniform(-delta, delta, lv.shape) for lv in qp.levels], b, validate=False)
    return random_distribution(b, N, rng, zero_fraction=float(rng.choice([0, 0.5]))), qt, qp, mu


def random_monotone(rng: np.random.Generator, n: int):
    """A nonincreasing nonnegative sequence with random drop sizes (some large, many small)."""
    drops = rng.exponential(1.0, n) * (rng.random(n) < rng.uniform(0.05, 1))
    L = np.concatenate([[0.0], np.cumsum(drops[::-1])])[::-1] + rng.exponential(0.1)
    return list(L)
