"""The paper's closed forms for bit size: Claim 9, Claim 10, Claim 11, Algorithm 2 and
Theorem 2 in project form (paper: Section 3.1; THEORY §5, §9). The analysis that the
networks are measured against is :mod:`constructions.lemma12`; these are the coarser
formulas of the paper's proof, evaluated with the project's construction constants.

**Claim 9 (integer bits, closed form).** For R' = boost(R, D) with τ' = τ_S and the
position bound L + 1 of Claim 1: counters c, d, ℓ < τ' need ⌈log₂ τ'⌉ bits; the position
counter ≤ L + 1 needs ⌈log₂(L + 2)⌉ bits (a project addition: Lemma 2's tail rule,
q' = q after the last complete block, needs to know i > L — the paper's Claim 7 counter
only counts to r ≤ k; this is the one node whose bits depend on N); digits, stored tokens,
flags, controls, indicators, u, v and the output need 1; the accumulators are ≤ 2^k in the
paper's bound (k + 1 bits; ≤ 1 in fact); every copy needs what the original node of R or
D needs. So i' = max(⌈log₂ τ'⌉, ⌈log₂(L + 2)⌉, i_R, i_D, k + 1). :func:`claim9_node_bits`
gives this bound per node; the analysis' claimed bits are ≤ it node by node.

**Claim 10 (fractional bits, closed form).** With u = 2^−f, R's output error e_R and
O_R ≤ 1: e_u ≤ k·(e_R + u)·(1 + e_R)^{k−1} (Lemma 13, induction: a_{m+1} =
(1 + e_R)·a_m + e_R + u); ε ≤ (1 + e_u)·e_v + e_u + u with e_v ≤ 2u + e_D; each
accumulator sums at most 2^k terms, E ≤ 2^k·ε; Lemma 14 with the denominator ≥
m = e^−η·μ^{k−1} gives the ratio's error ≤ 2E/(m − E), and the reciprocal and product
truncations add (2 + E)·u:
    e' = max(e_R, 2·2^k·ε/(e^−η·μ^{k−1} − 2^k·ε) + (2 + 2^k ε)·u).
To first order in u (e_R = c_R·u): c' ≈ 2^{k+1}·(k·c_R + k + 3)/(e^−η·μ^{k−1}) + 2, so
f' = ⌈log₂(c'/δ)⌉ ≈ log₂(1/δ) + k + 1 + log₂(k·c_R + k + 3) + log₂(1/(e^−η μ^{k−1})).
:func:`claim10_error` evaluates the recursion over a whole chain; :func:`claim10_frac_bits`
the least f it allows.

**Claim 11 / Algorithm 2 (project form).** For ε > 0, k, N (M = N − k + 1), a start LM
(uniform: μ_0 = 1/b, exact at f = 1) and a distinguisher class with τ_D, i_D, f_D (its
members run exactly at f ≥ f_D): g(ε) = ε²M/(2kN) (the Lemma 1 gain per round, THEORY §9);
for m ≥ 0, with η ≤ η_max = 1 (|α| ≤ 1), μ'_m = e^{−1}·μ_m,
    δ_m = μ'_m·(1 − e^{−g(ε)/2})        (so −log(1 − δ_m/μ'_m) = g(ε)/2, Lemma 16),
    μ_{m+1} = μ'_m − δ_m                  (Lemma 15 minus the quantization error),
    τ_{m+1} = (2^k + 1)·k·(max(τ_m, τ_D) + 1) + 3,   i_{m+1} = Claim 9,
    f_{m+1} = max(f_m, f_D, the least f with Claim 10's e' ≤ δ_m).
:func:`claim11_sequences` computes them; :func:`lemma12_conditions` checks each step
against Lemma 12's hypotheses (μ' > 2δ, the penalty ≤ g(ε)/2, Lemma 15, Claims 9 and 10),
so the quantized boosted model q̃' has L_p(q̃') ≤ L_p(q) − g(α) + g(ε)/2 ≤ L_p(q) − g(ε)/2.
Algorithm 2 is Algorithm 1 over these bit-bounded classes: Lemma 4 with gain g(ε)/2 bounds
the bad indices by 2·log(b)/g(ε), so T = ⌈20·log(b)/g(ε)⌉ (:func:`algorithm2_T`).

**Theorem 2 (bit bound per round).** From the recursions, with ρ = e^{−1−g(ε)/2}
(μ_m ≥ μ_0·ρ^m) and the first-order constant above:
    i_m ≤ max(m·⌈log₂((2^k + 1)k)⌉ + ⌈log₂(max(τ_0, τ_D) + 2)⌉ + 1, ⌈log₂(N + 2)⌉, i_0, i_D, k + 1),
    f_m ≤ max(f_0, f_D) + m·(k + 3 + ⌈log₂(k + 3)⌉) + (k − 1)·Σ_{j<m} log₂(1/μ_j)
          + m·log₂ e + log₂(1/δ_m) + 2,
so B_m = 1 + i_m + f_m = O(k·m² + m·(k + log τ_D) + log(1/g(ε))) — polynomial in k, log τ_D
and 1/ε over the T = O(k/ε²) indices Algorithm 2 may visit, and independent of N except for
the position counter's ⌈log₂(N + 2)⌉. :func:`theorem2_bound` evaluates it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from rnnsim import ConstructionError, Fixed
from rnnsim.analysis import INF, int_bits_for
from rnnsim.analysis.values import round_outward
from rnnsim.registry import realizes

from . import records
from .lemma12 import Summary, counter_ranges, summarize


def _ceil_log2(x) -> int:
    """⌈log₂ x⌉ for x ≥ 1 (exact for rationals)."""
    x = Fraction(x)
    j = 0
    while Fraction(2) ** j < x:
        j += 1
    return j


# ---- Claim 9 --------------------------------------------------------------------------------

@realizes("Claim 9", "integer bits of the boosted network: max(⌈log₂ τ'⌉, ⌈log₂(L+2)⌉, i_R, i_D, k+1)",
          bound="i' = max(⌈log₂ τ'⌉, ⌈log₂(L+2)⌉, i_R, i_D, k + 1)")
def claim9_node_bits(s: Summary) -> dict[str, int]:
    """Claim 9's closed-form integer bits for every node of ``s.net`` (module docstring); a
    network not built by boost (the start LM, a distinguisher) keeps its analysed bits."""
    if s.level is None:
        return s.node_bits()
    rec = records.record_of(s.net)
    lv = s.level
    sub = {"R.": claim9_node_bits(s.R), "D.": claim9_node_bits(s.D)}
    counters = counter_ranges(rec.schedule)
    out = {}
    for n in s.net.nodes:
        head = n[:2]
        if head in sub:
            out[n] = sub[head][n.split(".", 2)[2]]
        elif n == "cnt.p":
            out[n] = _ceil_log2(lv.cap + 1)
        elif n in counters:
            out[n] = max(1, _ceil_log2(lv.tau))
        elif n in (rec.nodes.acc_num, rec.nodes.acc_den):
            out[n] = lv.k + 1
        else:
            out[n] = 1
    return out


def claim9_bits(s: Summary) -> int:
    """i' of Claim 9: the largest closed-form bits over the nodes."""
    return max(claim9_node_bits(s).values())


# ---- Claim 10 -------------------------------------------------------------------------------

@realizes("Claim 10", "fractional bits, closed form: e' = max(e_R, 2·2^k ε/(e^-η μ^{k-1} − 2^k ε) + (2 + 2^k ε)u)",
          bound="f' ≈ log₂(1/δ) + k + 1 + log₂(k c_R + k + 3) + log₂(1/(e^-η μ^{k-1}))")
def claim10_error(s: Summary, frac_bits: int | None = None) -> Fraction:
    """Claim 10's closed-form output error of ``s.net`` at ``frac_bits`` (default: the
    summary's format), recursively over the rounds (module docstring); the base networks
    keep their analysed error at that format. Only the round structure of ``s`` is used
    (k, e^−η, μ_R), so one summary serves every f."""
    f = (s.fmt.frac_bits if s.fmt else None) if frac_bits is None else frac_bits
    fmt = None if f is None else Fixed(62, f)
    if s.level is None:
        return summarize(s.net, fmt).out_err
    lv = s.level
    ulp = Fraction(1, fmt.scale) if fmt else Fraction(0)
    e_R = claim10_error(s.R, f)
    e_D = claim10_error(s.D, f)
    if INF in (e_R, e_D):
        return INF
    k = lv.k
    e_u = k * (e_R + ulp) * (1 + e_R) ** (k - 1)
    e_v = 2 * ulp + e_D
    eps = (1 + e_u) * e_v + e_u + ulp
    E = 2 ** k * eps
    m = lv.w * lv.mu_R ** (k - 1)
    if m <= E:
        return INF
    return round_outward(max(e_R, 2 * E / (m - E) + (2 + E) * ulp), 1)


def claim10_frac_bits(net, delta, *, max_frac: int = 62) -> int:
    """The least f whose Claim 10 closed-form error (:func:`claim10_error`) is ≤ δ."""
    delta = Fraction(delta)
    s = summarize(net)
    f = max(0, int_bits_for(1 / delta) - 1)
    while f <= max_frac:
        if claim10_error(s, f) <= delta:
            return f
        f += 1
    raise ConstructionError(f"claim10_frac_bits: no f ≤ {max_frac} meets δ = {delta} for {net.name!r}")


# ---- Claim 11, Algorithm 2, Theorem 2 ----------------------------------------------------------

def gain(eps, *, k: int, N: int) -> float:
    """g(ε) = ε²·M/(2kN), M = N − k + 1 (THEORY §9)."""
    return float(eps) ** 2 * (N - k + 1) / (2 * k * N)


@dataclass
class BitRound:
    """Index m of the bit-bounded class sequence (Claim 11)."""

    m: int
    tau: int
    int_bits: int
    frac_bits: int
    mu: float            # the quantized model's least probability (lower bound)
    delta: float         # the output error allowed when boosting from index m to m + 1
    penalty: float       # −log(1 − δ_m/μ'_m) (Lemma 16)
    c_ulps: float        # the closed-form error of index m in units of 2^−f_m

    @property
    def bits(self) -> int:
        return 1 + self.int_bits + self.frac_bits


def _c_next(c_R: float, mu: float, k: int, w: float) -> float:
    """First-order Claim 10 constant c' (errors in ulps) from c_R (module docstring)."""
    return 2 ** (k + 1) * (k * c_R + k + 3) / (w * mu ** (k - 1)) + 2


@realizes("Claim 11", "the hyper-parameter sequences μ_m, δ_m, τ_m, i_m, f_m of Algorithm 2 satisfy Lemma 12's "
          "conditions; the penalty −log(1 − δ_m/μ'_m) ≤ g(ε)/2")
def claim11_sequences(k: int, eps: float, N: int, *, rounds: int, tau0: int = 1, mu0: float = 0.5,
                      i0: int = 1, f0: int = 1, tau_D: int = 1, i_D: int = 1, f_D: int = 0,
                      eta_max: float = 1.0) -> list[BitRound]:
    """The sequences of Claim 11 (module docstring) for m = 0 … rounds."""
    if not (eps > 0 and isinstance(k, int) and k >= 1 and N >= k):
        raise ConstructionError(f"claim11_sequences needs ε > 0, k ≥ 1, N ≥ k (got ε={eps}, k={k}, N={N})")
    g = gain(eps, k=k, N=N)
    w = math.exp(-eta_max)
    cap = N + 1
    seq = []
    tau, i, f, mu, c = tau0, i0, f0, float(mu0), 0.0
    for m in range(rounds + 1):
        mu_p = w * mu
        delta = mu_p * (-math.expm1(-g / 2))
        pen = -math.log1p(-delta / mu_p)
        seq.append(BitRound(m, tau, i, f, mu, delta, pen, c))
        c_next = _c_next(c, mu, k, w)
        tau_next = (2 ** k + 1) * k * (max(tau, tau_D) + 1) + 3
        i = max(_ceil_log2(tau_next), _ceil_log2(cap + 1), i, i_D, k + 1)
        f = max(f, f_D, math.ceil(math.log2(c_next / delta)))
        tau, mu, c = tau_next, mu_p - delta, c_next
    return seq


@realizes("Algorithm 2", "Algorithm 1 over bit-bounded classes C_m(s_m, h_m, τ_m, i_m, f_m); Lemma 4 with gain "
          "g(ε)/2: |B| ≤ 2 log b/g(ε)", kind="check")
def lemma12_conditions(seq: list[BitRound], k: int, eps: float, N: int, *, tau_D: int = 1, i_D: int = 1,
                       eta_max: float = 1.0) -> list[str]:
    """Every violation of Lemma 12's hypotheses along ``seq`` (empty: the sequences are valid)."""
    g = gain(eps, k=k, N=N)
    w = math.exp(-eta_max)
    bad = []
    for a, b in zip(seq, seq[1:]):
        mu_p = w * a.mu
        if not a.mu > 0:
            bad.append(f"m={a.m}: μ_m = {a.mu} ≤ 0")
            continue
        if not mu_p > 2 * a.delta:
            bad.append(f"m={a.m}: μ' = {mu_p} ≤ 2δ = {2 * a.delta} (Lemma 16 needs μ' > 2δ)")
        if a.penalty > g / 2 * (1 + 1e-12):
            bad.append(f"m={a.m}: penalty {a.penalty} > g(ε)/2 = {g / 2}")
        if b.mu > mu_p - a.delta * (1 - 1e-12):
            bad.append(f"m={a.m}: μ_(m+1) = {b.mu} > e^-η μ_m − δ_m = {mu_p - a.delta} (Lemma 15)")
        want_tau = (2 ** k + 1) * k * (max(a.tau, tau_D) + 1) + 3
        if b.tau < want_tau:
            bad.append(f"m={a.m}: τ_(m+1) = {b.tau} < {want_tau} (Lemma 3)")
        want_i = max(_ceil_log2(b.tau), _ceil_log2(N + 2), a.int_bits, i_D, k + 1)
        if b.int_bits < want_i:
            bad.append(f"m={a.m}: i_(m+1) = {b.int_bits} < {want_i} (Claim 9)")
        c_next = _c_next(a.c_ulps, a.mu, k, w)
        if c_next * 2.0 ** -b.frac_bits > a.delta * (1 + 1e-12):
            bad.append(f"m={a.m}: f_(m+1) = {b.frac_bits} leaves error {c_next * 2.0 ** -b.frac_bits} > δ_m = "
                       f"{a.delta} (Claim 10)")
    return bad


def algorithm2_T(eps: float, *, k: int, N: int, b: int = 2) -> int:
    """T = ⌈20·log(b)/g(ε)⌉: m_0 ∈ {1..T} avoids Lemma 4's bad set (gain g(ε)/2) w.p. ≥ 0.9."""
    return math.ceil(20 * math.log(b) / gain(eps, k=k, N=N))


@realizes("Theorem 2", "loss minimization over bit-bounded classes gives an ε-indistinguishable LM with bit size "
          "polynomial in k, log τ_D and 1/ε, independent of N except the position counter's ⌈log₂(N+2)⌉ bits",
          bound="B_m = 1 + i_m + f_m, i_m ≤ m⌈log₂((2^k+1)k)⌉ + ⌈log₂(max(τ_0,τ_D)+2)⌉ + 1, "
                "f_m ≤ f_0 + m(k+3+⌈log₂(k+3)⌉) + (k−1)Σ log₂(1/μ_j) + m log₂ e + log₂(1/δ_m) + 2")
def theorem2_bound(m: int, k: int, eps: float, N: int, *, tau0: int = 1, mu0: float = 0.5, i0: int = 1,
                   f0: int = 1, tau_D: int = 1, i_D: int = 1, f_D: int = 0) -> dict:
    """The explicit Theorem 2 bounds on i_m, f_m and B_m (module docstring)."""
    g = gain(eps, k=k, N=N)
    rho = math.exp(-1 - g / 2)
    K = (2 ** k + 1) * k
    i_m = max(m * _ceil_log2(K) + _ceil_log2(max(tau0, tau_D) + 2) + 1, _ceil_log2(N + 2), i0, i_D, k + 1)
    mus = [mu0 * rho ** j for j in range(m + 1)]
    delta_m = math.exp(-1) * mus[m] * (-math.expm1(-g / 2))
    f_m = (max(f0, f_D) + m * (k + 3 + _ceil_log2(k + 3)) + (k - 1) * sum(math.log2(1 / x) for x in mus[:m])
           + m * math.log2(math.e) + math.log2(1 / delta_m) + 2)
    f_m = math.ceil(f_m)
    return {"m": m, "int_bits": i_m, "frac_bits": f_m, "bits": 1 + i_m + f_m}


__all__ = ["claim9_node_bits", "claim9_bits", "claim10_error", "claim10_frac_bits", "gain", "BitRound",
           "claim11_sequences", "lemma12_conditions", "algorithm2_T", "theorem2_bound"]
