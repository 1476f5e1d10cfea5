"""workflows.testing, the public property-testing module: its strategies draw networks that
compute their exact definitions, and check_computes reports the first counterexample with a
trace (exhaustively and by hypothesis)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnsim
from constructions import families, models
from proofs_checks.lm import LM
from workflows import testing as T


@settings(max_examples=25, deadline=None)
@given(T.lm_networks())
def test_drawn_lms_compute_their_definitions(case):
    net, q = case
    rep = T.check_computes(net, T.lm_function(q), N=5)
    assert rep.ok and rep.mode == "exhaustive" and rep.checked == 2 + 4 + 8 + 16 + 32, str(rep)


@settings(max_examples=15, deadline=None)
@given(T.lm_networks(positive=True))
def test_positive_lms_have_no_zero_conditional(case):
    net, q = case
    tab = LM.from_callable(q, 2, 5)
    assert all((lv > 0).all() for lv in tab.levels)


@settings(max_examples=25, deadline=None)
@given(T.distinguisher_networks())
def test_drawn_distinguishers_compute_their_definitions(case):
    net, d = case
    k = net.role.window
    assert T.check_computes(net, T.distinguisher_function(d, k), N=max(k, 5)).ok


@settings(max_examples=10, deadline=None)
@given(T.networks(max_nodes=4, max_depth=2), T.formats(), st.data())
def test_drawn_networks_and_formats_run(net, fmt, data):
    arith = rnnsim.parse_arithmetic(fmt)
    doc = data.draw(T.tokens(net.alphabet, max_len=3))
    try:
        tr = rnnsim.simulate(net, doc, arithmetic=arith, engine="reference")
        rnnsim.simulate_all(net, 3, "exact")
    except (rnnsim.FixedPointOverflow, rnnsim.ReciprocalOfZero):
        return                          # a narrow format may overflow, a raw Recip may see 0: documented errors
    assert len(tr.outputs) == len(doc)
    # the network computes itself: check_computes against its own reference run passes
    ref = lambda prefix: rnnsim.simulate(net, list(prefix), "exact").outputs[-1]  # noqa: E731
    assert T.check_computes(net, ref, N=3).ok


def test_first_counterexample_with_trace_exhaustive():
    net = models.markov_lm(1, [Fraction(1, 3), Fraction(1, 2)])
    wrong = models.markov_q(1, [Fraction(1, 3), Fraction(1, 4)])     # differs after a 1
    rep = T.check_computes(net, T.lm_function(wrong), N=4)
    assert not rep.ok
    ce = rep.counterexample
    # the shortest failing prefix, first in Σ^m order: x = 10 (q(0 | 1) = 1/2 vs 3/4)
    assert ce.document == (1, 0) and ce.m == 2 and ce.got == Fraction(1, 2) and ce.expected == Fraction(3, 4)
    assert "q " in ce.trace and "reg.1" in ce.trace
    with pytest.raises(AssertionError, match="after x = 10 \\(m = 2\\)"):
        T.assert_computes(net, T.lm_function(wrong), N=4)


def test_first_counterexample_by_hypothesis_is_shrunk():
    spec = families.parity(3, tau=2)[0]
    net = spec.complement().build()                 # computes 1 − parity
    rep = T.check_computes(net, T.distinguisher_function(spec.definition(), 3), N=14, max_docs=64, examples=50)
    assert not rep.ok and rep.mode == "hypothesis"
    assert rep.counterexample.m == 3 and len(rep.counterexample.document) == 3   # the first checkable prefix
    good = T.check_computes(net, T.distinguisher_function(spec.complement().definition(), 3), N=14, max_docs=64,
                            examples=30)
    assert good.ok and good.checked == 30


def test_float_arithmetic_uses_a_tolerance():
    net = models.markov_lm(1, [Fraction(1, 3), Fraction(1, 2)])
    q = models.markov_q(1, [Fraction(1, 3), Fraction(1, 2)])
    assert T.check_computes(net, T.lm_function(q), N=4, arithmetic="float64").ok
    off = lambda prefix: T.lm_function(q)(prefix) + Fraction(1, 10 ** 6)   # noqa: E731
    assert not T.check_computes(net, off, N=4, arithmetic="float64").ok
    assert T.check_computes(net, off, N=4, arithmetic="float64", tol=1e-5).ok
