"""Bit size of a network in fixed point (paper: Definition 4, Lemma 12 / Claims 9–10, Theorem 2; THEORY §5).

Lemma 12 (project form). A network run in ``Fixed(i, f)`` (1 sign bit, i integer bits, f
fractional bits; every constant and every elementary operation truncated toward zero to
the grid 2^−f) computes its exact function up to a small error when (Claim 9) i is at
least the integer bits of the largest |value| any node takes, and (Claim 10) f is large
enough that the accumulated truncation errors stay below δ at the output; then (Lemma 16)
the next-token loss of the quantized LM exceeds the exact one by at most −log(1 − δ/μ)
when every exact conditional is ≥ μ > 2δ.

How i and f are obtained without simulating. For a network built by ``boosting.boost`` /
``iterate`` (any round, also loaded from a file): the round-by-round analysis of
:mod:`constructions.lemma12` — Claim 9's ranges from the construction's closed forms and
the core range analysis, Claim 10's error recursion with the shared-error ratio lemma, μ by
Lemma 15 — at a cost independent of N and τ. For any other network: the core's range
analysis (:mod:`rnnsim.analysis`), which bounds every node's values and Fixed-point error at
every time (or up to a horizon). Integer bits of u: the least i with max|ṽ| < 2^i,
max|ṽ| ≤ max(|lo_u|, |hi_u|) + err_u. :func:`choose_format` picks the least f with
err_output ≤ δ and i = max(1, max_u i_u), so the format is self-consistent: no node
overflows. The paper's coarser closed forms are :mod:`constructions.claims9_11`; the
checks (a)–(d) of THEORY §5, which simulate, are the workflow :mod:`workflows.bits`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

from rnnsim import ConstructionError, Fixed
from rnnsim.analysis import INF, Unbounded, analyze, int_bits_for
from rnnsim.registry import realizes

from . import lemma12, records

STATEMENT = ("integer bits from value ranges, fractional bits from the error propagation bound; the Fixed run "
             "does not overflow, its outputs are within δ, and its loss within −log(1−δ/μ) (Lemma 16)")


def _is_boost(net) -> bool:
    return isinstance(records.record_or_none(net), records.Boost)


def lm_min_prob(lm, **kw):
    """A lower bound μ on every next-token probability an LM RNN outputs (at its output
    times): for a boosted network Lemma 15 round by round (μ' = e^{−η}·μ, exact), for any
    other network the lower end of its output node's range over times t ≥ 1 (``analyze``)."""
    if _is_boost(lm) and not kw:
        return lemma12.summarize(lm).mu
    return analyze(lm, **kw).images[lm.output].lo


@realizes("Claim 9", "integer bits of the boosted network: counters by modulus, probabilities and accumulators ≤ 1",
          bound="accumulators Σ u·v·1 ≤ 1")
@realizes("Lemma 12", STATEMENT)
def boosted_assumptions(net, mu=None) -> dict:
    """The relational facts of Claim 9 for a network built by ``boosting.boost``, as
    ``analyze`` keyword arguments ({"declared": …, "recip_floor": …}) for the core analysis:

    * the accumulators Σ_n u_n·v_n·1(n) (``boost.num``, ``boost.den``) lie in [0, 1]: every
      partial sum is at most Σ_{s∈Σ^k} q(s | x_<j)·1 = 1 since v = e^{−η d} ≤ 1 (η ≥ 0) —
      tighter than the paper's 2^k;
    * the output is a probability, in [0, 1] (num ≤ den: num's strings are among den's);
    * the reciprocal's argument den − fin_in + 1 is ≥ m = min(1, w·μ^{k−1}): when fin_in = 1
      it is den = Σ_{s ⊒ x_j..x_{i−1}} u·v ≥ w·q(x_j..x_{i−1} | x_<j) ≥ w·μ^ℓ, ℓ ≤ k−1
      (w = e^{−η}, μ ≤ every next-token probability of R); otherwise it is den + 1 ≥ 1.

    ``mu`` defaults to the μ of the LM ``net`` was boosted from (Lemma 15 over its rounds)."""
    rec = records.record_of(net)
    if not isinstance(rec, records.Boost):
        raise ConstructionError(f"boosted_assumptions: network {net.name!r} was built by {rec.kind!r}, not by "
                                "boosting.boost / boost_simple")
    if mu is None:
        mu = lemma12.summarize(net).R.mu
    w, k, mu = Fraction(rec.factor), rec.k, Fraction(mu)
    if not (0 < w <= 1 and 0 < mu <= 1):
        raise ConstructionError(f"boosted_assumptions needs 0 < e^-η ≤ 1 and 0 < μ ≤ 1 (got {w}, {mu}); "
                                "μ = 0 means the LM gives some token probability 0 (see lm_min_prob)")
    return {"declared": {rec.nodes.acc_num: (0, 1), rec.nodes.acc_den: (0, 1), net.output: (0, 1)},
            "recip_floor": {net.output: min(Fraction(1), w * mu ** (k - 1))}}


@dataclass
class FormatChoice:
    """The chosen format, δ, and the analysis that proves it (``analysis.values``,
    ``analysis.node_bits()``, ``analysis.output_error``)."""

    fixed: Fixed
    delta: object
    analysis: object

    @property
    def bits(self) -> int:
        return self.fixed.bits


@realizes("Claim 10", "the least fractional bits with proven output error ≤ δ", bound="err_out ≤ δ")
@realizes("Lemma 12", STATEMENT, bound="int bits from value ranges; err_out ≤ δ; L(q̃) − L(q') ≤ −log(1 − δ/μ)")
def choose_format(rnn, delta, *, horizon: int | None = None, declared: Mapping | None = None,
                  max_frac: int = 80, **kw) -> FormatChoice:
    """The least f (and the integer bits of that analysis) with proven output error ≤ δ.
    A boosted network without further options gets the round-by-round analysis
    (:func:`constructions.lemma12.choose_format`); otherwise the core analysis with
    ``horizon``, ``declared`` and the other :func:`rnnsim.analysis.analyze` options."""
    if _is_boost(rnn) and horizon is None and declared is None and not kw:
        ch = lemma12.choose_format(rnn, delta, max_frac=min(max_frac, 62))
        return FormatChoice(ch.fixed, ch.delta, ch.summary)
    delta = Fraction(delta)

    def at(f):
        return analyze(rnn, Fixed(62, f), horizon=horizon, declared=declared, **kw)

    f = max(0, int_bits_for(1 / delta) - 1)
    a = at(f)
    # the error is ≈ C·2^−f for small grids: jump to the estimate, then step
    if a.output_error not in (0, INF) and a.output_error > delta:
        f = min(max_frac, f + max(0, int_bits_for(a.output_error / delta) - 1))
        a = at(f)
    while a.output_error > delta:
        if f >= max_frac:
            raise Unbounded(f"no f ≤ {max_frac} bounds the output error of {rnn.name!r} by {delta} "
                            f"(error bound {a.output_error}); unbounded nodes: {a.unbounded()[:5]}")
        f += 1
        a = at(f)
    while f > 0:  # the least f
        b = at(f - 1)
        if b.output_error > delta:
            break
        f, a = f - 1, b
    return FormatChoice(Fixed(a.claimed_int_bits, f), delta, a)


__all__ = ["choose_format", "boosted_assumptions", "lm_min_prob", "FormatChoice", "STATEMENT"]
