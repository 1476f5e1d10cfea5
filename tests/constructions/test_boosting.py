"""The boosted LM RNN (Lemma 3, THEORY §4.6) and the simple construction (Section 2.1).

On every document of length N (exhaustively), for k ∈ {1, 2, 3}, every offset r and several
(LM, distinguisher) pairs: the boosted network's outputs equal Lemma 2's q'(x_i | x_<i)
computed by ``proofs_checks.boost.boosted_conditional`` — exactly in ``exact`` arithmetic
(factor e^{−η} given as a Fraction) and within 1e-12 in float64 (float η); ``boost`` and
``boost_simple`` compute the same function; the loss decrease meets Lemma 1's bound; hidden
sets pass the transplant test; claims equal counts and meet the THEORY §4.6 bounds; depth does
not grow with k, N or over rounds of ``iterate``; over four rounds hidden size grows
linearly and size quadratically for ``boost``, and size at least doubles for
``boost_simple`` (checked on the numbers)."""

from __future__ import annotations

import math
from fractions import Fraction as Fr

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import rnnsim
from rnnsim import Affine, Const, Node, Prod, Recip, ReLU
from rnnsim.hidden import transplant_test
from constructions import models
from constructions.boosting import boost, boost_simple, iterate
from constructions.records import schedule_of
from proofs_checks import boost as pboost
from proofs_checks import textdist
from tests.constructions.pairs import PAIR_NAMES, pairs

pytestmark = pytest.mark.lemma("Lemma 3")

W = Fr(2, 5)    # e^{-η}, exact


def expected_matrix(qp, N):
    """Row d, column i−1: q'(x_i | x_<i) for the d-th document of all_documents(2, N)."""
    docs = rnnsim.all_documents(2, N)
    out = np.empty(docs.shape, dtype=object)
    for row, x in enumerate(docs):
        x = tuple(int(v) for v in x)
        for i in range(1, N + 1):
            out[row, i - 1] = qp(x[:i - 1])[x[i - 1]]
    return out


def exact_outputs(net, N):
    return rnnsim.simulate_all(net, N, "exact", engine="reference", raw=True)


EXACT_CASES = [(1, 1, 5)] + [(2, r, 5) for r in (1, 2)] + [(3, r, 4) for r in (1, 2, 3)]


@pytest.mark.parametrize("k,r,N", EXACT_CASES)
@pytest.mark.parametrize("pair", PAIR_NAMES)
def test_boosted_outputs_equal_lemma2_exactly_on_every_document(pair, k, r, N):
    lm, dist = pairs(k)[pair]
    B = boost(lm, dist, k=k, r=r, N=N, factor=W)
    qp = pboost.boosted_conditional(models.exact_definition(lm), models.exact_definition(dist),
                                    k=k, r=r, factor=W, N=N)
    got = exact_outputs(B, N)
    want = expected_matrix(qp, N)
    bad = np.argwhere(got != want)
    assert len(bad) == 0, [(tuple(rnnsim.all_documents(2, N)[a]), b + 1, got[a, b], want[a, b]) for a, b in bad[:3]]


@settings(max_examples=6, deadline=None)
@given(k=st.integers(1, 2), data=st.data())
def test_boost_equals_lemma2_for_random_markov_tables_patterns_and_weights(k, data):
    r = data.draw(st.integers(1, k))
    probs = st.fractions(min_value=Fr(1, 10), max_value=Fr(9, 10), max_denominator=12)
    table = data.draw(st.lists(probs, min_size=4, max_size=4))
    pats = data.draw(st.sets(st.integers(0, 2 ** k - 1), min_size=1))
    w = data.draw(st.fractions(min_value=Fr(1, 8), max_value=Fr(7, 8), max_denominator=9))
    lm = models.markov_lm(2, table)
    dist = models.pattern_distinguisher(k, [format(p, f"0{k}b") for p in pats])
    N = 4
    qp = pboost.boosted_conditional(models.exact_definition(lm), models.exact_definition(dist),
                                    k=k, r=r, factor=w, N=N)
    assert (exact_outputs(boost(lm, dist, k=k, r=r, N=N, factor=w), N) == expected_matrix(qp, N)).all()


@pytest.mark.lemma("Section 2.1")
@pytest.mark.parametrize("k,r,N", [(1, 1, 5), (2, 2, 5), (3, 1, 4)])
def test_boost_simple_computes_the_same_function_as_boost(k, r, N):
    lm, dist = pairs(k)["markov1_tau2+pattern"]
    a = exact_outputs(boost(lm, dist, k=k, r=r, N=N, factor=W), N)
    b = exact_outputs(boost_simple(lm, dist, k=k, r=r, N=N, factor=W), N)
    assert (a == b).all()
    qp = pboost.boosted_conditional(models.exact_definition(lm), models.exact_definition(dist),
                                    k=k, r=r, factor=W, N=N)
    assert (b == expected_matrix(qp, N)).all()


@pytest.mark.parametrize("k,r,N", [(2, 1, 6), (3, 2, 5)])
def test_boosted_outputs_in_float64_with_float_eta(k, r, N):
    lm, dist = pairs(k)["markov2+parity_tau3"]
    eta = 0.8
    B = boost(lm, dist, k=k, r=r, N=N, eta=eta)
    qp = pboost.boosted_conditional(models.exact_definition(lm), models.exact_definition(dist),
                                    k=k, r=r, eta=eta, N=N)
    got = rnnsim.simulate_all(B, N, "float64")
    want = expected_matrix(qp, N).astype(np.float64)
    assert np.max(np.abs(got - want)) <= 1e-12


@pytest.mark.slow
@pytest.mark.parametrize("k,r", [(k, r) for k in (1, 2, 3) for r in range(1, k + 1)])
@pytest.mark.parametrize("pair", PAIR_NAMES)
def test_boosted_outputs_float64_long_documents(pair, k, r):
    lm, dist = pairs(k)[pair]
    N = 10 if k < 3 else 9
    eta = 0.6
    B = boost(lm, dist, k=k, r=r, N=N, eta=eta)
    qp = pboost.boosted_conditional(models.exact_definition(lm), models.exact_definition(dist),
                                    k=k, r=r, eta=eta, N=N)
    got = rnnsim.simulate_all(B, N, "float64")
    assert np.max(np.abs(got - expected_matrix(qp, N).astype(np.float64))) <= 1e-12


def test_zero_probability_block_prefix_raises_reciprocal_of_zero():
    """Where Lemma 2's q' is undefined (q(x_{j..i−1} | x_<j) = 0) the network raises."""
    lm = models.markov_lm(1, [Fr(0), Fr(1, 2)])   # never emits 1 after 0
    dist = models.pattern_distinguisher(2, ["11"])
    B = boost(lm, dist, k=2, r=2, N=4, factor=W)     # block [2, 3]: x_2 = 1 after x_1 = 0
    with pytest.raises(rnnsim.ReciprocalOfZero, match="boost.out"):
        rnnsim.simulate(B, [0, 1, 1, 0], "exact")
    qp = pboost.boosted_conditional(models.exact_definition(lm), models.exact_definition(dist),
                                    k=2, r=2, factor=W, N=4)
    with pytest.raises(ZeroDivisionError):
        qp((0, 1))
    # a document of positive probability runs fine and agrees
    out = rnnsim.simulate(B, [1, 0, 0, 0], "exact").outputs
    assert out == [qp((1, 0, 0, 0)[:i])[(1, 0, 0, 0)[i]] for i in range(4)]


@pytest.mark.lemma("Lemma 3", "Lemma 1")
def test_loss_decrease_of_the_boosted_network_meets_lemma1_bound():
    N, k = 6, 2
    p = models.motif_automaton_q("111", "avoid")
    lm = models.markov_lm(1, [Fr(1, 2), Fr(1, 3)])
    dist = models.pattern_distinguisher(2, ["11"])
    q, d = models.exact_definition(lm), models.exact_definition(dist)
    rep_a = pboost.lemma1_alpha(textdist.as_distribution(p, 2, N), q, d, k=k)
    assert rep_a.alpha > 0
    w = Fr(math.exp(-rep_a.alpha))
    r = rep_a.r_star
    B = boost(dist=models.pattern_distinguisher(2, ["11"]) if not rep_a.flipped else
              models.pattern_distinguisher(2, ["00", "01", "10"]), lm=lm, k=k, r=r, N=N, factor=w)
    q_rnn = textdist.lm_from_rnn(B, N, "exact")
    P = textdist.as_distribution(p, 2, N)
    gain = textdist.kl(P, q) - textdist.kl(P, q_rnn)
    dd = d if not rep_a.flipped else (lambda j, x: 1 - d(j, x))
    rep = pboost.lemma1(P, q, dd, k=k, r=r, factor=w)
    assert abs(gain - rep.gain) < 1e-9
    assert gain >= rep.bound_exp - 1e-12 and gain >= rep_a.bound_M - 1e-12 > 0
    assert textdist.next_token_loss(P, q_rnn) < textdist.next_token_loss(P, q)


# ---- hidden sets, operations, claims, bounds, depth ------------------------------------------

@pytest.mark.parametrize("simple", [False, True])
@pytest.mark.parametrize("k,r", [(1, 1), (2, 2), (3, 1)])
def test_boosted_hidden_set_passes_transplant_test(k, r, simple):
    lm, dist = pairs(k)["markov1_tau2+pattern"]
    B = (boost_simple if simple else boost)(lm, dist, k=k, r=r, N=5, factor=W)
    rep = transplant_test(B, [(1, 0, 1, 1), (0, 1, 1, 0)], seed=7 + k)
    assert rep.ok, rep


def test_transplant_test_detects_a_hidden_set_without_the_stored_state():
    lm, dist = pairs(2)["markov2+parity_tau3"]
    B = boost(lm, dist, k=2, r=1, N=5, factor=W)
    fake = [h for h in B.hidden if not h.startswith("R.H1.")] + [
        n for n in B.nodes if n.startswith("R.H2.")]
    rep = transplant_test(B, [(1, 1, 0, 1), (0, 1, 1, 1)], hidden=fake, m_values=[1, 2, 3])
    assert not rep.ok


@pytest.mark.parametrize("k", [1, 2, 3, 5])
@pytest.mark.parametrize("pair", PAIR_NAMES)
def test_claims_equal_counts_and_meet_spec_4_6_bounds(pair, k):
    lm, dist = pairs(k)[pair]
    for fn in (boost, boost_simple):
        B = fn(lm, dist, k=k, r=1, N=2 * k + 3, factor=W)
        m = B.claims
        assert (m.size, m.hidden_size, m.tau, m.depth) == (B.size, B.hidden_size, B.tau, B.depth)
        bd = m.bounds
        assert B.size <= bd.size and B.hidden_size <= bd.hidden_size
        assert B.tau <= bd.tau and B.depth <= bd.depth
    B = boost(lm, dist, k=k, r=1, N=2 * k + 3, factor=W)
    HR, HD = lm.hidden_size, dist.hidden_size
    assert B.hidden_size <= HR + HD + 2 * k + 20
    assert B.size <= lm.size + 2 * HR + dist.size + 2 * HD + 2 * k + 43
    assert B.tau <= (2 ** k + 1) * k * (max(lm.tau, dist.tau) + 1) + 3
    assert B.depth <= max(lm.depth, dist.depth) + 4


def test_depth_is_constant_in_k_and_N():
    depths = set()
    for k in (2, 3, 5, 8):
        for N in (k, 3 * k, 50):
            lm, dist = pairs(k)["markov2+parity_tau3"]
            depths.add(boost(lm, dist, k=k, r=1, N=N, factor=W).depth)
    assert depths == {4}


def test_only_spec_operations_are_used():
    lm, dist = pairs(2)["pfa+repeat"]
    B = boost(lm, dist, k=2, r=2, N=5, factor=W)
    kinds = {type(e) for f in B.transitions.values() for e in f.walk()}
    assert kinds <= {Const, Node, Affine, ReLU, Prod, Recip}
    assert Recip in kinds


def test_schedule_is_exposed():
    lm, dist = pairs(2)["markov2+parity_tau3"]
    B = boost(lm, dist, k=2, r=1, N=5, factor=W)
    s = schedule_of(B)
    assert s.tau_S == B.tau and s.k == 2 and s.t_out(1, 0, 0) == s.P


# ---- iterated boosting -------------------------------------------------------------------------

def _round_inputs(k, rounds):
    dists = [models.pattern_distinguisher(k, [format(t % 2 ** k, f"0{k}b")]) for t in range(rounds)]
    return models.markov_lm(1, [Fr(1, 3), Fr(3, 4)]), dists


@pytest.mark.parametrize("k", [1, 2, 3])
def test_iterate_sizes_hidden_linear_size_quadratic_depth_constant(k):
    lm, dists = _round_inputs(k, 4)
    nets = iterate(lm, dists, k=k, rs=[1 + t % k for t in range(4)], factors=[W] * 4, N=3 * k)
    H = [lm.hidden_size] + [n.hidden_size for n in nets]
    S = [lm.size] + [n.size for n in nets]
    dH = [b - a for a, b in zip(H, H[1:])]
    dS = [b - a for a, b in zip(S, S[1:])]
    # hidden: the same increment every round once both periods differ (rounds ≥ 2)
    assert dH[1] == dH[2] == dH[3] == dists[0].hidden_size + 2 * k + 20
    # size: increments grow by exactly the hidden increment (second differences constant)
    assert dS[2] - dS[1] == dS[3] - dS[2] == dH[1]
    assert all(n.claims.size == n.size and n.claims.hidden_size == n.hidden_size for n in nets)
    # depth: no increase after the first round (gates merge)
    depths = [n.depth for n in nets]
    assert len(set(depths)) == 1 and depths[0] <= lm.depth + 4
    assert all(n.claims.depth == n.depth for n in nets)
    # τ multiplies by (2^k + 1)·k per round (plus one step per slot)
    taus = [lm.tau] + [n.tau for n in nets]
    for a, b in zip(taus[1:], taus[2:]):
        assert b == (2 ** k + 1) * k * (a + 1)


@pytest.mark.lemma("Section 2.1")
@pytest.mark.parametrize("k", [1, 2])
def test_iterate_simple_size_at_least_doubles_every_round(k):
    lm, dists = _round_inputs(k, 4)
    nets = iterate(lm, dists, k=k, rs=[1] * 4, factors=[W] * 4, N=3 * k, simple=True)
    S = [lm.size] + [n.size for n in nets]
    assert all(b >= 2 * a for a, b in zip(S, S[1:]))
    eff = iterate(lm, dists, k=k, rs=[1] * 4, factors=[W] * 4, N=3 * k)
    assert all(e.size < s.size for e, s in zip(eff[1:], nets[1:]))
    assert [n.depth for n in nets] == [nets[0].depth] * 4


def test_three_rounds_of_boosting_compute_the_iterated_lemma2():
    lm, _ = _round_inputs(1, 0)
    dists = [models.pattern_distinguisher(1, ["1"]), models.pattern_distinguisher(1, ["0"]),
             models.parity_distinguisher(1)]
    ws = [Fr(1, 2), Fr(2, 3), Fr(1, 3)]
    N = 3
    nets = iterate(lm, dists, k=1, rs=[1, 1, 1], factors=ws, N=N)
    simple = iterate(lm, dists[:2], k=1, rs=[1, 1], factors=ws[:2], N=N, simple=True)
    q = models.exact_definition(lm)
    for t, net in enumerate(nets):
        q = pboost.boosted_conditional(q, models.exact_definition(dists[t]), k=1, r=1, factor=ws[t], N=N)
        got = exact_outputs(net, N)
        assert (got == expected_matrix(q, N)).all(), t
        if t < len(simple):
            assert (exact_outputs(simple[t], N) == got).all()


def test_iterate_rejects_mismatched_arguments():
    lm, dists = _round_inputs(2, 2)
    with pytest.raises(ValueError, match="offsets"):
        iterate(lm, dists, k=2, rs=[1], factors=[W, W], N=5)
    with pytest.raises(ValueError, match="exactly one"):
        iterate(lm, dists, k=2, rs=[1, 1], N=5)


def test_round_two_hidden_set_holds_for_garbage_that_respects_the_boolean_declarations():
    """In round 2 the copy H2 of R's hidden set is outside H; its Boolean nodes are merged
    into AND(c, run) = ReLU(c + run − 1), which is 0 at a LOAD step only if c ≤ 1. So the
    hidden set passes the transplant test when Boolean nodes get 0/1 garbage (what they can
    hold) and fails when the declaration is dropped and they may get 5."""
    lm, _ = _round_inputs(1, 0)
    dists = [models.pattern_distinguisher(1, ["1"]), models.parity_distinguisher(1)]
    B2 = iterate(lm, dists, k=1, rs=[1, 1], factors=[Fr(1, 2), Fr(3, 4)], N=3)[-1]
    docs = [(0, 0, 0), (1, 0, 1), (0, 1, 1)]
    assert transplant_test(B2, docs, seed=3, garbage=3).ok
    undeclared = B2.replace(boolean_nodes=())
    assert not transplant_test(undeclared, docs, seed=3, garbage=3).ok
