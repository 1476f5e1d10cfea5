"""Hypothesis properties of the simulator core on random valid networks (THEORY §2.3, §2.4,
§2.5(a), §6 save/load): the reference engine against an independent tree-walking oracle
(tests/rnnsim/oracle.py) and against Expr.evaluate, float64 against exact, fixed-point grid
and per-operation truncation, exact save/load round trips."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import rnnsim
from rnnsim import Fixed, simulate
from rnnsim.arith import OverflowSignal
from rnnsim.hidden import check_structural, transplant_test
from rnnsim.io import dumps, loads, to_dict
from tests.rnnsim import oracle
from tests.strategies import networks, networks_and_documents

fixed_formats = st.builds(Fixed, st.integers(1, 5), st.integers(0, 6), st.sampled_from(["raise", "saturate"]))

EXACT_BITS = 4096                       # the size limit of these tests (the default is 2^16)
EXACT = rnnsim.Exact(max_bits=EXACT_BITS)
bounded = dict(bounded_digits=True)     # exact arithmetic: networks whose digits grow O(t)


def _ref(rnn, doc, arith):
    """('ok', outputs) or ('recip'|'overflow'|'size', node, time) from the reference engine."""
    if arith == "exact":
        arith = EXACT
    try:
        return ("ok", simulate(rnn, doc, arith, engine="reference").outputs)
    except rnnsim.ReciprocalOfZero as e:
        return ("recip", e.node, e.time)
    except rnnsim.FixedPointOverflow as e:
        return ("overflow", e.node, e.time)
    except rnnsim.ExactValueTooLarge as e:
        return ("size", e.node, e.time)


def _mode(arith):
    if isinstance(arith, Fixed):
        return ("fixed", arith.int_bits, arith.frac_bits, arith.overflow)
    return ("exact", EXACT_BITS)


@pytest.mark.lemma("Definition 3")
@settings(max_examples=100)
@given(networks_and_documents(**bounded))
def test_exact_reference_equals_independent_oracle_including_errors(case):
    rnn, docs = case
    for doc in docs:
        want = oracle.run(rnn, doc, ("exact", EXACT_BITS))
        got = _ref(rnn, doc, "exact")
        assert got[0] == want[0], (got, want[:1])
        if want[0] == "ok":
            assert list(got[1]) == want[1]
        else:
            assert got[1:] == want[1:]


@pytest.mark.lemma("Definition 4")
@settings(max_examples=150)
@given(networks_and_documents(), fixed_formats)
def test_fixed_outputs_on_grid_and_equal_per_operation_truncation(case, fmt):
    rnn, docs = case
    for doc in docs:
        want = oracle.run(rnn, doc, _mode(fmt))
        got = _ref(rnn, doc, fmt)
        assert got[0] == want[0], (got, want[:1])
        if want[0] != "ok":
            assert got[1:] == want[1:]
            continue
        assert list(got[1]) == want[1]
        for v in got[1]:
            scaled = Fraction(v) * 2**fmt.frac_bits
            assert scaled.denominator == 1, f"{v} is not a multiple of 2^-{fmt.frac_bits}"
            assert abs(v) < 2**fmt.int_bits


@settings(max_examples=100)
@given(networks_and_documents(**bounded), st.sampled_from(["exact", "fixed"]), fixed_formats)
def test_lowered_program_with_shared_subexpressions_equals_expr_evaluate_every_step(case, kind, fmt):
    rnn, docs = case
    arith = EXACT if kind == "exact" else fmt
    for doc in docs:
        try:
            tr = simulate(rnn, doc, arith, engine="reference", record="all")
        except (rnnsim.ReciprocalOfZero, rnnsim.FixedPointOverflow, rnnsim.ExactValueTooLarge):
            assume(False)
        # step with Expr.evaluate (no lowering, no CSE) from the recorded values at time t
        for j, t in enumerate(tr.times[:-1]):
            env = {n: tr.values[n][j] for n in rnn.nodes}
            for n, f in rnn.transitions.items():
                try:
                    want = arith.node_value(f.evaluate(env, arith))
                except OverflowSignal:  # pragma: no cover - the run above did not overflow
                    raise AssertionError(f"{n} overflows at {t + 1} only in Expr.evaluate")
                assert tr.values[n][j + 1] == want, (n, t + 1)


@settings(max_examples=150)
@given(networks_and_documents(**bounded))
def test_float64_agrees_with_exact_to_1e9_when_no_reciprocal_of_near_zero(case):
    rnn, docs = case
    for doc in docs:
        stats: dict = {}
        want = oracle.run(rnn, doc, ("exact", EXACT_BITS), stats)
        assume(want[0] == "ok")
        assume(stats.get("min_recip_arg", math.inf) > 0.25)
        got = simulate(rnn, doc, "float64", engine="reference").outputs
        for g, w in zip(got, want[1]):
            assert isinstance(g, float)
            assert abs(g - float(w)) <= 1e-9 * max(1.0, abs(float(w))), (g, w)


@settings(max_examples=60)
@given(networks_and_documents(**bounded), fixed_formats)
def test_save_load_round_trips_bit_exactly(case, fmt):
    rnn, docs = case
    back = loads(dumps(rnn))
    assert back.nodes == rnn.nodes and back.inputs == rnn.inputs and back.hidden == rnn.hidden
    assert (back.output, back.tau, back.alphabet, back.input_encoding, back.name) == (
        rnn.output, rnn.tau, rnn.alphabet, rnn.input_encoding, rnn.name)
    assert dict(back.transitions) == dict(rnn.transitions)
    for n in rnn.init:  # same values and same exact types (int stays int)
        assert back.init[n] == rnn.init[n] and type(back.init[n]) is type(rnn.init[n])
    assert dict(back.meta) == dict(rnn.meta)
    assert to_dict(back) == to_dict(rnn)
    for doc in docs:
        for arith in ("exact", fmt):
            assert _ref(back, doc, arith) == _ref(rnn, doc, arith)


@pytest.mark.lemma("Definition 3")
@settings(max_examples=60)
@given(networks())
def test_generated_hidden_sets_satisfy_structural_condition(rnn):
    assert check_structural(rnn) == []


@pytest.mark.lemma("Definition 3")
@settings(max_examples=60)
@given(networks_and_documents(min_len=2, max_len=4, **bounded))
def test_transplant_passes_for_read_closed_hidden_set_containing_output(case):
    rnn, docs = case
    # H = the output and every non-input node it depends on: closed under reading (§2.5(a)),
    # so the outputs are a function of H and the later tokens (§2.5(b))
    closure, todo = set(), [rnn.output]
    while todo:
        n = todo.pop()
        if n in closure or n in rnn.inputs:
            continue
        closure.add(n)
        todo.extend(rnn.in_neighbours(n))
    H = [n for n in rnn.nodes if n in closure]
    try:
        rep = transplant_test(rnn, docs, hidden=H)
    except (rnnsim.ReciprocalOfZero, rnnsim.ExactValueTooLarge):
        assume(False)  # the untouched run itself divides by zero
    assert rep.ok, str(rep)
    assert rep.comparisons == sum(len(d) * (len(d) + 1) // 2 for d in docs)


@settings(max_examples=40)
@given(networks(**bounded, max_nodes=5, max_depth=3))
def test_bounded_generator_grows_exact_digits_at_most_linearly(rnn):
    """The bounded generator's promise (tests/strategies.py): over T steps the exact values'
    sizes grow O(T) — here ≤ 64 + 48·T bits over 16 tokens (a squaring node would need 2^T)."""
    doc = [t % rnn.alphabet for t in range(16)]
    try:
        tr = simulate(rnn, doc, EXACT, engine="reference", record="tokens")
    except (rnnsim.ReciprocalOfZero, rnnsim.ExactValueTooLarge) as e:
        assert not isinstance(e, rnnsim.ExactValueTooLarge), str(e)
        return
    for j, t in enumerate(tr.times):
        for name, vals in tr.values.items():
            v = Fraction(vals[j])
            bits = max(abs(v.numerator).bit_length(), v.denominator.bit_length())
            assert bits <= 64 + 48 * t, (name, t, bits)
