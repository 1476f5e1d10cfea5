"""The numba engine agrees with the reference engine (THEORY §2.4): bit-identical raw values
in fixed formats, within 1e-12 relative in float64, identical run-time errors; formats it
cannot compute exactly are refused before running (THEORY §7)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnsim
from rnnsim import Builder, Fixed, FixedPointOverflow, ReciprocalOfZero, UnsupportedFormat, recip, relu
from rnnsim.engines import get_engine, select_engine
from tests.engine_compare import assert_engine_matches_reference
from tests.strategies import networks, networks_and_documents

pytestmark = pytest.mark.lemma("§2.4 arithmetic")

FORMATS = [Fixed(4, 8), Fixed(3, 12), Fixed(6, 20), Fixed(8, 24, "saturate"), Fixed(4, 30), Fixed(2, 5, "saturate")]


def _matrix(rnn, docs):
    n = max(len(d) for d in docs)
    return np.array([list(d) + [0] * (n - len(d)) for d in docs], dtype=np.int64)


@settings(max_examples=40)
@given(networks_and_documents(max_docs=3, max_len=5))
def test_numba_float64_outputs_and_states_equal_reference_on_random_networks(case):
    """Same operations in the same order (fusion included): equal, not just within 1e-12."""
    rnn, docs = case
    assert_engine_matches_reference(rnn, _matrix(rnn, docs), "float64", "numba", rtol=0.0)


@settings(max_examples=40)
@given(networks_and_documents(max_docs=3, max_len=5), st.sampled_from(FORMATS))
def test_numba_fixed_outputs_and_errors_bit_identical_to_reference(case, fmt):
    rnn, docs = case
    # nested products of a wide format may be refused (soundly: see test_engines_lowering)
    assert_engine_matches_reference(rnn, _matrix(rnn, docs), fmt, "numba", allow_unsupported=True)


@settings(max_examples=15)
@given(networks(max_nodes=4, clamp_bound=None), st.sampled_from([Fixed(3, 6), Fixed(2, 3)]))
def test_numba_unclamped_networks_overflow_at_the_reference_node_and_time(rnn, fmt):
    """Without clamps values grow, so overflows (and their reporting order) are exercised."""
    docs = rnnsim.all_documents(rnn.alphabet, 3)
    assert_engine_matches_reference(rnn, docs, fmt, "numba", allow_unsupported=True)


@settings(max_examples=15)
@given(networks(max_nodes=4), st.sampled_from(["float64", Fixed(5, 16)]))
def test_numba_simulate_all_equals_reference_on_every_document(rnn, fmt):
    assert_engine_matches_reference(rnn, 4, fmt, "numba", rtol=0.0)


@settings(max_examples=10)
@given(networks(max_nodes=4), st.sampled_from(["float64", Fixed(5, 16)]))
def test_numba_simulate_all_equals_simulate_batch_on_all_documents(rnn, fmt):
    try:
        a = rnnsim.simulate_all(rnn, 4, fmt, engine="numba", raw=True)
    except rnnsim.SimulationError:
        return
    b = rnnsim.simulate_batch(rnn, rnnsim.all_documents(rnn.alphabet, 4), fmt, engine="numba", raw=True)
    assert np.array_equal(a, b, equal_nan=True) if a.dtype.kind == "f" else np.array_equal(a, b)


def _counter_net(tau=1):
    b = Builder("acc", tau=tau)
    x = b.input("x")
    c = b.node("c", init=0)
    g = b.node("g", init=Fraction(1, 3))
    b.update(c, c * Fraction(3, 2) + x + Fraction(1, 7))
    b.update(g, relu(g * c - Fraction(1, 5)) + Fraction(1, 3) * x)
    b.output(c)
    b.hidden(c, g)
    return b.build()


def test_numba_batch_split_into_many_chunks_and_threads_gives_the_same_outputs(monkeypatch):
    rnn = _counter_net(tau=2)
    docs = np.random.default_rng(0).integers(0, 2, (37, 6))
    ref = rnnsim.simulate_batch(rnn, docs, Fixed(12, 20, "saturate"), engine="reference", raw=True)
    for chunk in ("8", "16", "0"):
        monkeypatch.setenv("RNNSIM_CHUNK", chunk)
        for threads in (1, 2):
            monkeypatch.setenv("RNNSIM_THREADS", str(threads))
            got = rnnsim.simulate_batch(rnn, docs, Fixed(12, 20, "saturate"), engine="numba", raw=True)
            assert np.array_equal(got, ref.astype(np.int64)), (chunk, threads)


def test_numba_overflow_names_node_and_time_like_the_reference():
    rnn = _counter_net()
    docs = np.array([[0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]])
    errs = []
    for eng in ("reference", "numba"):
        with pytest.raises(FixedPointOverflow) as ei:
            rnnsim.simulate_batch(rnn, docs, Fixed(3, 10), engine=eng)
        errs.append(ei.value)
    ref, got = errs
    assert (got.node, got.time, str(got)) == (ref.node, ref.time, str(ref))
    assert got.node == "c" and "at time" in str(got)


def test_numba_reciprocal_of_zero_reports_the_earliest_token_then_the_lowest_run():
    b = Builder("r", tau=1)
    x = b.input("x")
    k = b.node("k", init=0)
    z = b.node("z", init=1)
    b.update(k, k + 1)
    b.update(z, recip(x - k + 2))      # zero when k = x + 2: run with x=1 fails later
    b.output(z)
    rnn = b.build()
    docs = np.array([[1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0]])
    for fmt in ("float64", Fixed(4, 8)):
        errs = []
        for eng in ("reference", "numba"):
            with pytest.raises(ReciprocalOfZero) as ei:
                rnnsim.simulate_batch(rnn, docs, fmt, engine=eng)
            errs.append(ei.value)
        ref, got = errs
        assert (got.node, got.time, str(got)) == (ref.node, ref.time, str(ref))
        assert (got.node, got.time) == ("z", 2)   # runs 1, 2 fail on token 3 (t = 2), run 0 only at t = 3


def test_numba_saturate_clamps_like_the_reference():
    rnn = _counter_net()
    docs = np.ones((3, 8), dtype=np.int64)
    assert_engine_matches_reference(rnn, docs, Fixed(3, 10, "saturate"), "numba")


def test_numba_refuses_exact_arithmetic():
    with pytest.raises(UnsupportedFormat, match="exact"):
        rnnsim.simulate_batch(_counter_net(), [[0, 1]], "exact", engine="numba")


def test_numba_refuses_formats_whose_node_values_exceed_64_bits():
    with pytest.raises(UnsupportedFormat, match="64"):
        get_engine("numba").check(_counter_net().program, Fixed(40, 30))


def test_numba_accepts_a_product_whose_result_may_not_fit_and_checks_it_at_run_time(monkeypatch):
    """g·c of two node values of fixed:30:20 can need 2·50 − 20 = 80 bits: the product runs
    on the 128-bit path and its 64-bit narrowing is checked. When it fails, the run is
    rerun on the reference from the state it started with: here the reference overflows
    node g one step later, and numba reports exactly that (the static refusal of this
    format was widened)."""
    from rnnsim.engines.numba_engine import cached_plan

    rnn = _counter_net()
    fmt = Fixed(30, 20)
    get_engine("numba").check(rnn.program, fmt)
    assert cached_plan(rnn.program, fmt).counts.get("prod_wide", 0) >= 1
    assert_engine_matches_reference(rnn, [[0, 0, 0, 0]], fmt, "numba")      # small values: exact
    docs = [[0] * 44 + [1] + [0] * 4]       # c grows ×3/2 per step to ~2^24, then g·c jumps past 2^43
    errs = []
    for eng in ("reference", "numba"):
        with pytest.raises(FixedPointOverflow) as ei:
            rnnsim.simulate_batch(rnn, np.repeat(docs, 3, axis=0), fmt, engine=eng)
        errs.append(ei.value)
    assert (errs[1].node, errs[1].time, str(errs[1])) == (errs[0].node, errs[0].time, str(errs[0])) == (
        "g", 47, str(errs[0]))
    # saturating: the product is read by more than the node's commit, so numba cannot go on
    with pytest.raises(rnnsim.EngineRangeExceeded) as ri:
        rnnsim.simulate_batch(rnn, docs, Fixed(30, 20, "saturate"), engine="numba")
    assert (ri.value.node, ri.value.time) == ("g", 46) and ri.value.bits > 64


def _gated_square_net():
    """y ← (p·p)·x: p·p exceeds 64 bits raw, the gate x = 0 makes y exactly 0."""
    b = Builder("gsq")
    x = b.input("x")
    p = b.node("p", init=2**40)
    y = b.node("y", init=0)
    b.update(p, 1 * p)
    b.update(y, (p * p) * x)
    b.output(y)
    return b.build()


def test_an_intermediate_beyond_64_bits_stops_numba_and_auto_reruns_on_the_reference(monkeypatch):
    from rnnsim import EngineRangeExceeded

    rnn = _gated_square_net()
    fmt = Fixed(41, 20)
    with pytest.raises(EngineRangeExceeded) as ei:
        rnnsim.simulate_batch(rnn, [[0, 0]], fmt, engine="numba")
    e = ei.value
    assert (e.node, e.time, e.bits) == ("y", 0, (2**80 << 20).bit_length() + 1)
    assert "node 'y' at time 0" in str(e) and "engine='reference'" in str(e)
    assert rnnsim.simulate_batch(rnn, [[0, 0]], fmt, engine="reference").tolist() == [[0, 0]]
    monkeypatch.setattr(rnnsim.engines, "AUTO_MIN_WORK", 0)          # "auto" picks numba, then falls back
    with pytest.warns(RuntimeWarning, match="rerunning on the reference"):
        assert rnnsim.simulate_batch(rnn, [[0, 0]], fmt, engine="auto").tolist() == [[0, 0]]
    with pytest.warns(RuntimeWarning, match="rerunning on the reference"):
        tr = rnnsim.simulate(rnn, [0, 0], fmt, engine="auto", record="all")
    assert tr.outputs == [0, 0]


def _wide_sum_net(terms):
    b = Builder("wsum")
    b.input("x")
    ns = [b.node(f"a{i}", init=0) for i in range(terms)]
    for nd in ns:
        w = 2**42 + Fraction(1, 2)       # not an integer weight: the sum carries 2^20 more
        b.update(nd, sum((w * m for m in ns[1:]), w * ns[0]))
    b.output(ns[0])
    return b.build()


def test_numba_refuses_an_affine_sum_beyond_128_bits_and_names_the_largest_format():
    rnn = _wide_sum_net(5)          # 5 terms of 2^62 (weight raw) · 2^63 (node raw) ≥ 2^127
    with pytest.raises(UnsupportedFormat) as ei:
        rnnsim.simulate_batch(rnn, [[0, 1]], Fixed(43, 20), engine="numba")
    msg = str(ei.value)
    assert "node 'a0'" in msg and "Affine intermediate can need 129 bits" in msg and "[kernel plan pass 'exactness']" in msg
    assert "fixed:42:20" in msg
    get_engine("numba").check(rnn.program, Fixed(42, 20))


def _recip_net():
    b = Builder("r")
    x = b.input("x")
    z = b.node("z", init=1)
    y = b.node("y", init=0)
    b.update(z, recip(relu(z) + 1) - Fraction(1, 7) * x)          # stays in (1/2, 1]
    b.update(y, recip(z + Fraction(1, 3)) * recip(-z - 1) * x)     # negative reciprocals too
    b.output(y)
    b.hidden(z, y)
    return b.build()


@pytest.mark.parametrize("frac_bits", [31, 32, 45, 61])
def test_numba_recip_beyond_31_fraction_bits_runs_exactly_on_a_128_bit_division(frac_bits):
    """2^(2f)/X needs a 128-bit numerator for f ≥ 32: exact 128-by-64-bit division."""
    from rnnsim.engines.numba_engine import cached_plan

    rnn = _recip_net()
    fmt = Fixed(1, frac_bits)
    counts = cached_plan(rnn.program, fmt).counts
    assert counts.get("recip_wide", 0) == (3 if frac_bits > 31 else 0)
    docs = np.random.default_rng(frac_bits).integers(0, 2, (6, 9))
    out = assert_engine_matches_reference(rnn, docs, fmt, "numba")
    assert np.any(out != 0)


@pytest.mark.parametrize("frac_bits", [32, 40, 62])
def test_numba_recip_of_a_tiny_value_stops_with_engine_range_exceeded(frac_bits):
    """1/(2·2^-f) = 2^(f−1) is 2^(2f−1) raw, 2f + 1 > 64 bits with the sign: the run stops
    (node, time, bits)."""
    from rnnsim import EngineRangeExceeded

    b = Builder("tiny")
    x = b.input("x")
    y = b.node("y", init=0)
    b.update(y, recip(Fraction(1, 2**frac_bits) * x + Fraction(1, 2**frac_bits)) * Fraction(1, 2**frac_bits))
    b.output(y)
    rnn = b.build()
    fmt = Fixed(1, frac_bits)
    with pytest.raises(EngineRangeExceeded) as ei:
        rnnsim.simulate_batch(rnn, [[1, 0]], fmt, engine="numba")
    assert (ei.value.node, ei.value.time, ei.value.bits) == ("y", 0, 2 * frac_bits + 1)
    # the reference: 1/(2·2^-f) = 2^(f−1), times 2^-f = 1/2
    assert rnnsim.simulate(rnn, [1, 0], fmt, engine="reference").outputs[0] == Fraction(1, 2)


def _prob_net():
    """Values stay in [0, 1]: products of two node values with fractional weights."""
    b = Builder("prob", tau=2)
    x = b.input("x")
    p = b.node("p", init=Fraction(1, 3))
    q = b.node("q", init=Fraction(5, 7))

    def clamp01(e):
        return relu(e) - relu(e - 1)

    b.update(p, clamp01(p * q * Fraction(7, 5) + Fraction(1, 3) * x - Fraction(1, 9)))
    b.update(q, clamp01(1 - Fraction(2, 3) * p * q + Fraction(1, 5) * x * p))
    b.output(p)
    b.hidden(p, q)
    return b.build()


@pytest.mark.parametrize("frac_bits,policy", [(20, "raise"), (40, "saturate"), (59, "raise")])
def test_numba_wide_products_match_reference_at_the_largest_accepted_format(frac_bits, policy):
    """The largest accepted Fixed(i, f) needs 128-bit intermediates (the plan uses the wide ops)."""
    from rnnsim.engines.exactness import largest_supported_int_bits
    from rnnsim.engines.numba_engine import cached_plan

    rnn = _prob_net()
    i = largest_supported_int_bits(rnn.program, frac_bits)
    fmt = Fixed(i, frac_bits, policy)
    with pytest.raises(UnsupportedFormat, match=f"fixed:{i}:{frac_bits}"):
        get_engine("numba").check(rnn.program, Fixed(i + 1, frac_bits, policy))

    counts = cached_plan(rnn.program, fmt).counts
    assert counts.get("prod_wide", 0) + counts.get("affine_wide", 0) > 0
    docs = np.random.default_rng(1).integers(0, 2, (5, 12))
    out = assert_engine_matches_reference(rnn, docs, fmt, "numba")
    assert out is not None and np.any(out != 0)


def test_auto_picks_reference_for_exact_and_tiny_jobs_and_numba_for_large_ones():
    p = _counter_net().program
    assert select_engine(p, rnnsim.EXACT, "auto", batch=10**6, work=10**12).name == "reference"
    assert select_engine(p, rnnsim.FLOAT64, "auto", batch=4, work=100).name == "reference"
    assert select_engine(p, rnnsim.FLOAT64, "auto", batch=64, work=10**9).name == "numba"
    # a format numba refuses runs exactly on the reference under "auto"
    assert select_engine(p, Fixed(40, 30), "auto", batch=64, work=10**9).name == "reference"


def test_dump_source_writes_the_plan_listing(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNSIM_DUMP_SOURCE", str(tmp_path))
    rnn = _counter_net()
    from rnnsim.engines.numba_engine import NumbaEngine

    NumbaEngine().compile(rnn.program, Fixed(7, 9))
    files = list(tmp_path.iterdir())
    text = files[0].read_text()
    assert len(files) == 1
    # the Program listing, then the fused plan: relu(g·c − 1/5) is one op with a product term
    assert "t1 = g * c" in text and "affine_int_relu(1*g*c + -102)" in text


def test_second_compile_of_the_same_network_reuses_the_plan():
    rnn = _counter_net()
    eng = get_engine("numba")
    a = eng.compile(rnn.program, Fixed(9, 9))
    b = eng.compile(rnn.program, Fixed(9, 9))
    assert a.plan is b.plan


def _chain_net(n, tau):
    """n nodes p_i' = ½·p_{i−1}·p_i + ¼·x + ⅛ (values stay in [0, 1])."""
    b = Builder("chain", tau=tau)
    x = b.input("x")
    ps = [b.node(f"p{i}", init=Fraction(i % 7, 8)) for i in range(n)]
    for i, p in enumerate(ps):
        b.update(p, Fraction(1, 2) * ps[i - 1] * p + Fraction(1, 4) * x + Fraction(1, 8))
    b.output(ps[-1])
    return b.build()


def test_progress_bar_and_multi_block_runs_give_the_reference_outputs(capsys):
    rnn = _chain_net(200, tau=16)
    docs = np.random.default_rng(2).integers(0, 2, (4000, 20))    # 2 advance_many blocks: 15 + 5 tokens
    quiet = rnnsim.simulate_batch(rnn, docs, Fixed(4, 20), engine="numba", raw=True, progress=False)
    shown = rnnsim.simulate_batch(rnn, docs, Fixed(4, 20), engine="numba", raw=True, progress=True)
    assert np.array_equal(quiet, shown)
    assert "simulate_batch" in capsys.readouterr().err
    ref = rnnsim.simulate_batch(rnn, docs[[0, 3999]], Fixed(4, 20), engine="reference", raw=True)
    assert np.array_equal(quiet[[0, 3999]], ref.astype(np.int64))


def test_numba_initial_and_transplanted_values_follow_the_node_value_rule_like_the_reference():
    rnn = _counter_net()
    fmt = Fixed(1, 8)                          # c starts at 0, g at 1/3: fine; 5 overflows
    errs = []
    for eng in ("reference", "numba"):
        ex = get_engine(eng).compile(rnn.program, fmt)
        st_ = ex.init_state(2)
        with pytest.raises(FixedPointOverflow) as ei:
            ex.set_node_values(st_, 1, [0, 5, 0])
        errs.append(ei.value)
    assert str(errs[0]) == str(errs[1]) and errs[1].node == "c"
    b = Builder("big")
    b.input("x")
    v = b.node("v", init=7)
    b.update(v, v)
    b.output(v)
    big = b.build()
    assert_engine_matches_reference(big, [[0, 1]], Fixed(2, 4), "numba")   # both: overflow at time 0
