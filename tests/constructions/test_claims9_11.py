"""The paper's closed forms (constructions.claims9_11; paper: Claims 9–11, Algorithm 2, Theorem 2):
the analysis' claimed bits lie below Claim 9 node by node and Claim 9 is its formula; the
refined error lies below Claim 10's; Claim 11's sequences satisfy Lemma 12's conditions and
broken sequences do not; Theorem 2's explicit bound holds over many indices."""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction as F

import pytest

from constructions import boosting, claims9_11 as c, models
from constructions.lemma12 import choose_format, summarize
from rnnsim import Fixed

LM = models.markov_lm(1, [F(1, 3), F(3, 4)])


def chain(k, rounds, N=6):
    ds = [models.pattern_distinguisher(k, ["1" * k]), models.pattern_distinguisher(k, ["0" * k, "1" + "0" * (k - 1)])]
    return boosting.iterate(LM, [ds[t % 2] for t in range(rounds)], k=k, rs=[1 + t % k for t in range(rounds)],
                            factors=[F(4, 5)] * rounds, N=N)


def _clog2(x):
    return max(0, math.ceil(math.log2(x)))


@pytest.mark.lemma("Claim 9")
@pytest.mark.parametrize("k,rounds", [(1, 3), (2, 3), (3, 2)])
def test_claimed_bits_are_below_claim_9_node_by_node(k, rounds):
    nets = chain(k, rounds)
    prev = max(summarize(LM).node_bits().values())
    i_D = 1                                               # pattern distinguishers: 0/1 values
    for net in nets:
        s = summarize(net, Fixed(62, 24))
        claimed, closed = s.node_bits(), c.claim9_node_bits(s)
        assert all(claimed[n] <= closed[n] for n in claimed), [n for n in claimed if claimed[n] > closed[n]]
        sched = s.level
        want = max(_clog2(net.tau), _clog2(sched.cap + 2), prev, i_D, k + 1)   # Claim 9's formula, by hand
        assert c.claim9_bits(s) == want
        prev = want


@pytest.mark.lemma("Claim 10")
@pytest.mark.parametrize("k", [1, 2, 3])
def test_refined_error_is_below_claim_10(k):
    for net in chain(k, 2):
        for f in (14, 20, 28):
            s = summarize(net, Fixed(62, f))
            assert s.out_err <= c.claim10_error(s)
        delta = F(1, 2 ** 12)
        assert choose_format(net, delta).fixed.frac_bits <= c.claim10_frac_bits(net, delta)
        f10 = c.claim10_frac_bits(net, delta)
        assert c.claim10_error(summarize(net), f10) <= delta < c.claim10_error(summarize(net), f10 - 1)


@pytest.mark.lemma("Claim 11", "Algorithm 2")
@pytest.mark.parametrize("k,eps,N", [(1, 0.1, 4), (2, 0.05, 8), (3, 0.02, 10), (4, 0.2, 12)])
def test_claim11_sequences_satisfy_lemma_12(k, eps, N):
    seq = c.claim11_sequences(k, eps, N, rounds=8)
    assert c.lemma12_conditions(seq, k, eps, N) == []
    g = eps ** 2 * (N - k + 1) / (2 * k * N)
    for a, b in zip(seq, seq[1:]):
        assert a.penalty == pytest.approx(g / 2, rel=1e-9)                 # δ_m is the largest allowed
        assert b.mu == pytest.approx(math.exp(-1) * a.mu - a.delta, rel=1e-12)
        assert b.tau == (2 ** k + 1) * k * (a.tau + 1) + 3
        assert b.frac_bits >= a.frac_bits and b.int_bits >= a.int_bits


@pytest.mark.lemma("Claim 11", "Algorithm 2")
def test_broken_sequences_violate_lemma_12():
    k, eps, N = 2, 0.05, 8
    seq = c.claim11_sequences(k, eps, N, rounds=4)
    for field, change, why in (("delta", lambda v: v * 2, "penalty"), ("frac_bits", lambda v: v - 1, "Claim 10"),
                               ("int_bits", lambda v: v - 1, "Claim 9"), ("tau", lambda v: v - 1, "Lemma 3"),
                               ("mu", lambda v: v * 1.01, "Lemma 15")):
        bad = list(seq)
        at = 0 if field == "delta" else 2
        bad[at] = replace(bad[at], **{field: change(getattr(bad[at], field))})
        if field == "delta":
            bad[at] = replace(bad[at], penalty=-math.log1p(-bad[at].delta / (math.exp(-1) * bad[at].mu)))
        got = c.lemma12_conditions(bad, k, eps, N)
        assert any(why in msg for msg in got), (field, got)


@pytest.mark.lemma("Theorem 2")
@pytest.mark.parametrize("k,eps,N", [(1, 0.1, 4), (2, 0.05, 8), (3, 0.02, 10), (2, 0.5, 100)])
def test_theorem2_bound_holds_for_every_index(k, eps, N):
    seq = c.claim11_sequences(k, eps, N, rounds=15)
    for b in seq:
        bd = c.theorem2_bound(b.m, k, eps, N)
        assert b.int_bits <= bd["int_bits"] and b.frac_bits <= bd["frac_bits"] and b.bits <= bd["bits"], (b, bd)


@pytest.mark.lemma("Algorithm 2")
def test_algorithm2_T():
    k, N, eps = 2, 8, 0.1
    g = 0.01 * 7 / 32                                     # ε²M/(2kN)
    assert c.gain(eps, k=k, N=N) == pytest.approx(g)
    assert c.algorithm2_T(eps, k=k, N=N) == math.ceil(20 * math.log(2) / g)
