"""Bit size (paper: Definition 4, Lemma 12, Theorem 2; THEORY §5): value ranges, the
fractional-bit choice for an error δ, and the checks (a)–(d) on models and a boosted net."""

from __future__ import annotations

from fractions import Fraction

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

import rnnsim
from constructions import bitsize, boosting, demo, models
from constructions.gadgets import inc_mod
from rnnsim import Builder, Fixed, all_documents, relu
from tests.strategies import documents, networks

pytestmark = pytest.mark.lemma("Lemma 12")


# ---- soundness of the abstract interpretation ---------------------------------------------------

@settings(max_examples=150)
@given(st.data())
def test_analysis_bounds_contain_every_simulated_value_and_fixed_error(data):
    rnn = data.draw(networks(max_nodes=4, max_tau=2, max_depth=2))
    docs = data.draw(documents(rnn, max_len=4, max_docs=2))
    fmt = Fixed(12, data.draw(st.integers(2, 10)))
    L = max(len(d) for d in docs)
    if data.draw(st.booleans()):   # fixed point over all times
        ex, fx = bitsize.analyze(rnn), bitsize.analyze(rnn, fmt)
    else:                          # abstract simulation up to the horizon L
        ex, fx = bitsize.analyze(rnn, horizon=L), bitsize.analyze(rnn, fmt, horizon=L)
    for d in docs:
        try:
            tr = rnnsim.simulate(rnn, d, "exact", record="all")
        except rnnsim.ReciprocalOfZero:
            continue
        try:
            trf = rnnsim.simulate(rnn, d, fmt, record="all")
        except (rnnsim.ReciprocalOfZero, rnnsim.FixedPointOverflow):
            trf = None
        for n in rnn.nodes:
            v, vf = ex.values[n], fx.values[n]
            for i, x in enumerate(tr.values[n]):
                assert v.lo <= x <= v.hi and vf.lo <= x <= vf.hi
                if v.integer:
                    assert Fraction(x).denominator == 1
                if trf is not None:
                    assert abs(trf.values[n][i] - x) <= vf.err


def test_int_bits_for_is_the_least_i_with_value_below_2_to_the_i():
    for m, i in [(0, 0), (Fraction(1, 2), 0), (1, 1), (7, 3), (8, 4), (Fraction(15, 2), 3), (255, 8)]:
        assert bitsize.int_bits_for(m) == i
        assert m < 2 ** i and (i == 0 or m >= 2 ** (i - 1))


@pytest.mark.parametrize("m", [2, 5, 8, 13])
def test_mod_counter_range_is_exact_and_error_free(m):
    b = Builder("ctr", tau=1)
    b.input("x")
    c = b.node("c", init=0, hidden=True)
    b.update(c, inc_mod(c, m))
    b.output(c)
    net = b.build()
    a = bitsize.analyze(net)
    v = a.values["c"]
    assert (v.lo, v.hi, v.integer) == (0, m - 1, True)
    assert a.int_bits("c") == (m - 1).bit_length()
    assert bitsize.analyze(net, Fixed(8, 0)).values["c"].err == 0


def test_unbounded_counter_is_reported_and_a_horizon_bounds_it():
    b = Builder("free", tau=2)
    b.input("x")
    c = b.node("c", init=0)
    b.update(c, c + 1)
    b.output(c)
    net = b.build()
    a = bitsize.analyze(net)
    with pytest.raises(bitsize.Unbounded, match="'c'"):
        a.claimed_int_bits
    h = bitsize.analyze(net, horizon=5)
    assert h.values["c"].hi == 10  # c(t) = t ≤ N·τ = 10
    assert h.claimed_int_bits == 4


def test_contracting_loop_is_bounded_by_widening_with_thresholds():
    b = Builder("avg", tau=1)
    x = b.input("x")
    u = b.node("u", init=0)
    b.update(u, Fraction(1, 2) * u + Fraction(1, 2) * x)
    b.output(u)
    a = bitsize.analyze(b.build())
    assert a.converged and 0 <= a.values["u"].lo and a.values["u"].hi <= 1


# ---- (a)–(d) on the model networks ------------------------------------------------------------

MODEL_NETS = {
    "markov2": lambda: models.markov_lm(2, [Fraction(1, 3), Fraction(3, 4), Fraction(1, 2), Fraction(1, 5)]),
    "markov1_tau3": lambda: models.markov_lm(1, [Fraction(2, 7), Fraction(5, 9)], tau=3),
    "motif_seek": lambda: models.motif_automaton_lm("101", "seek", p=Fraction(2, 3)),
    "pattern3": lambda: models.pattern_distinguisher(3, ["111", "010"]),
    "bracket": lambda: models.bracket_distinguisher(2, 3),
}


@pytest.mark.parametrize("name", sorted(MODEL_NETS))
def test_checks_a_to_d_on_model_networks(name):
    net = MODEL_NETS[name]()
    delta = Fraction(1, 2 ** 10)
    ch = bitsize.choose_format(net, delta)
    fmt = ch.fixed
    assert ch.analysis.output_error <= delta
    if fmt.frac_bits > 0:  # least f: one bit less is not proven
        assert bitsize.analyze(net, Fixed(62, fmt.frac_bits - 1)).output_error > delta
    N = 6
    bitsize.check_no_overflow(net, fmt, N)                               # (a)
    err, d = bitsize.check_output_error(net, fmt, N, delta)              # (b)
    assert err <= d
    if net.meta["role"] == "lm":                                         # (c)
        rep = bitsize.check_loss(net, fmt, N, delta)
        assert rep["ok"] and rep["loss_diff"] <= rep["bound_claimed"] + 1e-12
    docs = [list(r) for r in all_documents(2, 5)]
    for arith in (None, fmt):                                            # (d)
        rep = bitsize.check_measured_bits(net, ch.analysis if arith else bitsize.analyze(net), docs, arith)
        assert rep["violations"] == []
        assert all(rep["measured_bits"][n] <= rep["claimed_bits"][n] for n in rep["measured_bits"])


# ---- (a)–(d) on a boosted network (Lemma 12) ---------------------------------------------------

@pytest.fixture(scope="module")
def boosted():
    N, k = 6, 2
    pr = demo.default_problem(N, k)
    net = boosting.boost(pr.lm_net, pr.dist_net, k=k, r=1, eta=0.25, N=N)
    mu = bitsize.lm_min_prob(pr.lm_net)
    assume = bitsize.boosted_assumptions(net, mu)
    delta = Fraction(1, 2 ** 12)
    ch = bitsize.choose_format(net, delta, horizon=N, **assume)
    return N, k, pr, net, mu, assume, delta, ch


@pytest.mark.lemma("Lemma 12", "Lemma 16", "Claim 10")
def test_boosted_network_format_meets_checks_a_to_d(boosted):
    N, k, pr, net, mu, assume, delta, ch = boosted
    fmt = ch.fixed
    # μ is the least next-token probability of the base model (exact table)
    assert mu <= min(min(pr.q_table.values()), 1 - max(pr.q_table.values()))
    assert mu > 0
    out = bitsize.check_no_overflow(net, fmt, N)                          # (a)
    assert out.shape == (2 ** N, N)
    err, d = bitsize.check_output_error(net, fmt, N, delta, reference="float64")   # (b)
    assert err <= d
    rep = bitsize.check_loss(net, fmt, N, delta)                          # (c) Lemma 16
    assert rep["ok"], rep
    docs = [list(r) for r in all_documents(2, N)[::9]]
    for arith, an in ((None, bitsize.analyze(net, **assume)), (fmt, ch.analysis)):   # (d)
        m = bitsize.check_measured_bits(net, an, docs, arith)
        assert m["violations"] == []


@pytest.mark.lemma("Claim 9")
def test_boosted_integer_bits_follow_claim_9(boosted):
    """Counters need the bits of their modulus, digits/controls one bit, probabilities and
    accumulators one bit (values ≤ 1); the ranges of the counters, digits and stored tokens
    are exact (reached by a run), so the claimed integer bits are the measured ones."""
    N, k, pr, net, mu, assume, delta, ch = boosted
    a = bitsize.analyze(net, **assume)
    bits = a.node_bits()
    for n in net.meta.get("boolean_nodes", ()):
        assert bits[n] <= 1
    for n in ("U.u", "V.v", "boost.num", "boost.den", "boost.out"):
        assert a.values[n].hi <= 1 and bits[n] <= 1
    sim = rnnsim.simulate(net, [1, 0, 1, 1, 0, 1], "exact", track_max=True)
    for n in net.select(["cnt.*", "E.*", "X.*"]):
        assert a.values[n].hi == sim.max_abs[n], n
    assert a.claimed_int_bits == max(bitsize.int_bits_for(v) for v in sim.max_abs.values())


def test_assumptions_are_rejected_for_networks_not_built_by_boost():
    with pytest.raises(ValueError, match="boosting.boost"):
        bitsize.boosted_assumptions(models.uniform_lm(), Fraction(1, 2))


def test_reciprocal_floor_is_needed_for_the_boosted_output(boosted):
    N, k, pr, net, mu, assume, delta, ch = boosted
    no_floor = bitsize.analyze(net, Fixed(62, 30), horizon=N, declared=assume["declared"])
    assert no_floor.output_error == bitsize.INF
