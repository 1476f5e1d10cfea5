"""Bit-size checks (a)–(d) (paper: Lemma 12, Lemma 16; THEORY §5) by simulation, on model
networks and on a boosted network: the chosen fixed format never overflows, stays within δ,
meets Lemma 16's loss bound, and no node needs more integer bits than claimed."""

from __future__ import annotations

from fractions import Fraction

import pytest

import rnnsim
from constructions import bitsize, boosting, models
from rnnsim import Fixed, LMRole, all_documents
from rnnsim.analysis import INF, analyze, int_bits_for
from workflows import bits, demo

pytestmark = pytest.mark.lemma("Lemma 12")


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
        assert analyze(net, Fixed(62, fmt.frac_bits - 1)).output_error > delta
    N = 6
    bits.check_no_overflow(net, fmt, N)                               # (a)
    err, d = bits.check_output_error(net, fmt, N, delta)              # (b)
    assert err <= d
    if isinstance(net.role, LMRole):                                 # (c)
        rep = bits.check_loss(net, fmt, N, delta)
        assert rep["ok"] and rep["loss_diff"] <= rep["bound_claimed"] + 1e-12
    docs = [list(r) for r in all_documents(2, 5)]
    for arith in (None, fmt):                                            # (d)
        rep = bits.check_measured_bits(net, ch.analysis if arith else analyze(net), docs, arith)
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
    out = bits.check_no_overflow(net, fmt, N)                          # (a)
    assert out.shape == (2 ** N, N)
    err, d = bits.check_output_error(net, fmt, N, delta, reference="float64")   # (b)
    assert err <= d
    rep = bits.check_loss(net, fmt, N, delta)                          # (c) Lemma 16
    assert rep["ok"], rep
    docs = [list(r) for r in all_documents(2, N)[::9]]
    for arith, an in ((None, analyze(net, **assume)), (fmt, ch.analysis)):   # (d)
        m = bits.check_measured_bits(net, an, docs, arith)
        assert m["violations"] == []


@pytest.mark.lemma("Claim 9")
def test_boosted_integer_bits_follow_claim_9(boosted):
    """Counters need the bits of their modulus, digits/controls one bit, probabilities and
    accumulators one bit (values ≤ 1); the ranges of the counters, digits and stored tokens
    are exact (reached by a run), so the claimed integer bits are the measured ones."""
    N, k, pr, net, mu, assume, delta, ch = boosted
    a = analyze(net, **assume)
    bits = a.node_bits()
    for n in net.boolean_nodes:
        assert bits[n] <= 1
    for n in ("U.u", "V.v", "boost.num", "boost.den", "boost.out"):
        assert a.values[n].hi <= 1 and bits[n] <= 1
    sim = rnnsim.simulate(net, [1, 0, 1, 1, 0, 1], "exact", track_max=True)
    for n in net.select(["cnt.*", "E.*", "X.*"]):
        assert a.values[n].hi == sim.max_abs[n], n
    assert a.claimed_int_bits == max(int_bits_for(v) for v in sim.max_abs.values())


def test_reciprocal_floor_is_needed_for_the_boosted_output(boosted):
    N, k, pr, net, mu, assume, delta, ch = boosted
    no_floor = analyze(net, Fixed(62, 30), horizon=N, declared=assume["declared"])
    assert no_floor.output_error == INF


def test_check_loss_refuses_a_distinguisher_network():
    d = models.pattern_distinguisher(2, ["11"])
    with pytest.raises(rnnsim.RoleError, match="lm_from_rnn: the network 'pattern' is a distinguisher"):
        bits.check_loss(d, Fixed(2, 8), 3, Fraction(1, 64))


def test_a_format_no_engine_runs_within_budget_is_a_documented_refusal():
    """fixed_engine: numba's refusal plus a reference run too large for the budget is
    ``Refused``, an UnsupportedFormat (a one-line status-1 error in the CLI), naming the
    format, the network and the work; small enough, the reference runs it."""
    from rnnsim.io import load_example

    net = load_example()
    with pytest.raises(bits.Refused, match=r"numba refuses fixed:60:60 for 'laplace' .* the reference would need "
                                           r"2\.20e\+13 node-updates") as ei:
        bits.fixed_engine(net, Fixed(60, 60), 40)
    assert isinstance(ei.value, rnnsim.UnsupportedFormat)
    assert bits.fixed_engine(net, Fixed(60, 60), 6) == "reference"      # 2·2^6·τ·|R| is small
    assert bits.fixed_engine(net, Fixed(8, 16), 40) == "numba"
