"""The range and error analysis (rnnsim.analysis; THEORY §5, the basis of Lemma 12): its
bounds contain every simulated value and Fixed-point error, integer bits are least, counters
get exact ranges, unbounded nodes are reported, and widening bounds contracting loops."""

from __future__ import annotations

from fractions import Fraction

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

import rnnsim
from constructions.gadgets import inc_mod
from rnnsim import Builder, Fixed
from rnnsim.analysis import Unbounded, analyze, int_bits_for
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
        ex, fx = analyze(rnn), analyze(rnn, fmt)
    else:                          # abstract simulation up to the horizon L
        ex, fx = analyze(rnn, horizon=L), analyze(rnn, fmt, horizon=L)
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
        assert int_bits_for(m) == i
        assert m < 2 ** i and (i == 0 or m >= 2 ** (i - 1))


@pytest.mark.parametrize("m", [2, 5, 8, 13])
def test_mod_counter_range_is_exact_and_error_free(m):
    b = Builder("ctr", tau=1)
    b.input("x")
    c = b.node("c", init=0, hidden=True)
    b.update(c, inc_mod(c, m))
    b.output(c)
    net = b.build()
    a = analyze(net)
    v = a.values["c"]
    assert (v.lo, v.hi, v.integer) == (0, m - 1, True)
    assert a.int_bits("c") == (m - 1).bit_length()
    assert analyze(net, Fixed(8, 0)).values["c"].err == 0


def test_unbounded_counter_is_reported_and_a_horizon_bounds_it():
    b = Builder("free", tau=2)
    b.input("x")
    c = b.node("c", init=0)
    b.update(c, c + 1)
    b.output(c)
    net = b.build()
    a = analyze(net)
    with pytest.raises(Unbounded, match="'c'") as ei:
        a.claimed_int_bits
    assert isinstance(ei.value, rnnsim.RNNSimError)      # one line, status 1 in the CLI
    h = analyze(net, horizon=5)
    assert h.values["c"].hi == 10  # c(t) = t ≤ N·τ = 10
    assert h.claimed_int_bits == 4


def test_contracting_loop_is_bounded_by_widening_with_thresholds():
    b = Builder("avg", tau=1)
    x = b.input("x")
    u = b.node("u", init=0)
    b.update(u, Fraction(1, 2) * u + Fraction(1, 2) * x)
    b.output(u)
    a = analyze(b.build())
    assert a.converged and 0 <= a.values["u"].lo and a.values["u"].hi <= 1
