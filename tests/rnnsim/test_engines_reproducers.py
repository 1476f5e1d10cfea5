"""Every engine reproducer of the reliability issue, as a test (THEORY §2.4, §7): each ends
bit-identical to the reference, in the documented error, or in a documented refusal —
never a crash, a wrap or another exception."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

import rnnsim
from rnnsim import (
    Builder, EngineRangeExceeded, ExactValueTooLarge, Fixed, FixedPointOverflow, InputError, ReciprocalOfZero,
    UnsupportedFormat, recip, relu,
)
from rnnsim.engines import get_engine
from rnnsim.io import dumps, loads
from tests.engine_compare import assert_engine_matches_reference
from tests.rnnsim.c_source import CSourceExecutor, needs_gcc

pytestmark = pytest.mark.lemma("§2.4 arithmetic")

ENGINES_AND_C = ["numba", "c-straight", "c-interp"]


def _run(rnn, docs, fmt, engine):
    """Raw outputs or the SimulationError of numba, the reference, or the C build of the CUDA source."""
    arith = rnnsim.parse_arithmetic(fmt)
    docs = np.asarray(docs, dtype=np.int64)
    try:
        if engine.startswith("c-"):
            ex = CSourceExecutor(rnn.program, arith, engine[2:].replace("interp", "interp"))
            st = ex.init_state(len(docs))
            return ex.advance_many(st, docs, 0)[1]
        return rnnsim.simulate_batch(rnn, docs, arith, engine=engine, raw=True)
    except rnnsim.SimulationError as e:
        return e


# ---- an Affine with no terms ------------------------------------------------------------------

def _empty_affine_net():
    b = Builder("f3")
    x = b.input("x")
    y = b.node("y")
    z = b.node("z")
    b.update(y, rnnsim.Affine((), 5))
    b.update(z, 3 * x + 1)
    b.output(y)
    return b.build()


@pytest.mark.parametrize("fmt", ["float64", Fixed(8, 8), Fixed(4, 40, "saturate")])
def test_affine_with_no_terms_is_its_offset_in_every_engine(fmt):
    rnn = _empty_affine_net()
    out = assert_engine_matches_reference(rnn, [[1, 1, 0]], fmt, "numba", rtol=0.0)
    assert rnnsim.simulate_batch(rnn, [[1, 1, 0]], fmt, engine="numba").tolist() == [[5, 5, 5]]
    assert out is not None
    assert str(rnnsim.Affine((), 0)) == "(0)" and str(rnnsim.Affine((), 5)) == "(5)"


@needs_gcc
@pytest.mark.parametrize("kind", ["c-straight", "c-interp"])
def test_affine_with_no_terms_in_the_generated_c_source(kind):
    rnn = _empty_affine_net()
    for fmt in ("float64", Fixed(8, 8)):
        got = _run(rnn, [[1, 1, 0]], fmt, kind)
        ref = _run(rnn, [[1, 1, 0]], fmt, "reference")
        assert np.array_equal(np.asarray(got, dtype=object).astype(float), np.asarray(ref).astype(float))


# ---- tokens that do not fit the input register -------------------------------------------------

def _quarter_net():
    b = Builder("f2", alphabet=3)
    x = b.input("x")
    y = b.node("y")
    b.update(y, x / 4)
    b.output(y)
    return b.build()


def test_large_tokens_are_refused_not_wrapped(monkeypatch):
    rnn = _quarter_net()
    assert rnnsim.simulate(rnn, [2], "fixed:1:62", engine="reference").outputs == [Fraction(1, 2)]
    with pytest.raises(UnsupportedFormat) as ei:
        rnnsim.simulate(rnn, [2], "fixed:1:62", engine="numba")
    assert "token 2 of input 'x' needs 65 bits" in str(ei.value)
    monkeypatch.setattr(rnnsim.engines, "AUTO_MIN_WORK", 0)
    assert rnnsim.simulate(rnn, [2], "fixed:1:62", engine="auto").outputs == [Fraction(1, 2)]
    # one fraction bit fewer: the token fits, and the overflow is at the reference's time
    assert_engine_matches_reference(rnn, [[2, 2, 1]], "fixed:1:61", "numba")
    b = Builder("f2b", alphabet=3)
    x = b.input("x")
    y = b.node("y")
    b.update(y, 1 * x)
    b.output(y)
    with pytest.raises(FixedPointOverflow) as oi:
        rnnsim.simulate(b.build(), [2, 2], "fixed:1:61", engine="numba")
    assert (oi.value.node, oi.value.time) == ("y", 1)
    assert_engine_matches_reference(b.build(), [[2, 2]], "fixed:1:61", "numba")


# ---- initial values whose raw form exceeds int64 -------------------------------------------------

def _init_net(init):
    b = Builder("i")
    b.input("x")
    v = b.node("v", init=init)
    b.update(v, v)
    b.output(v)
    return b.build()


@pytest.mark.parametrize("policy", ["raise", "saturate"])
@pytest.mark.parametrize("init", [2**30, -(2**30), 10**5000], ids=["2^30", "-2^30", "10^5000"])
def test_initial_value_beyond_int64_raw_is_the_reference_error_or_saturation(policy, init, monkeypatch):
    """The node-value rule is applied before the raw conversion, so every engine ends as
    the reference does (FixedPointOverflow at time 0, or the saturated value)."""
    rnn = _init_net(init)
    fmt = Fixed(10, 40, policy)
    monkeypatch.setattr(rnnsim.engines, "AUTO_MIN_WORK", 0)
    results = []
    for eng in ("reference", "numba", "auto"):
        try:
            results.append(("ok", rnnsim.simulate(rnn, [0, 1], fmt, engine=eng).outputs))
        except FixedPointOverflow as e:
            results.append(("overflow", e.node, e.time, str(e)))
    assert results[0] == results[1] == results[2]
    if policy == "raise":
        assert results[0][:3] == ("overflow", "v", 0)
    else:
        top = Fixed(10, 40).max_value
        assert results[0] == ("ok", [top if init > 0 else -top] * 2)


def test_huge_values_in_messages_never_raise_a_bare_python_error():
    """Integers over 4,300 digits and values beyond 1.8e308 are shown in scientific form."""
    rnn = _init_net(10**5000)
    with pytest.raises(FixedPointOverflow, match=r"value 1e\+5000 needs \|v\| < 2\^10"):
        rnnsim.simulate(rnn, [0], Fixed(10, 40), engine="numba")
    b = Builder("w")
    x = b.input("x")
    c = b.node("c", init=0)
    b.update(c, c + 10**5000 * x)
    b.output(c)
    need = (10**5000 << 40).bit_length() + 1             # raw, with the sign bit
    with pytest.raises(UnsupportedFormat, match=rf"node 'c': the constant 1e\+5000 needs {need} bits"):
        rnnsim.simulate(b.build(), [1], Fixed(10, 40), engine="numba")
    # a value beyond the double range in a wide reference-only format
    b = Builder("dbl")
    x = b.input("x")
    d = b.node("d", init=1)
    b.update(d, 2**600 * d)
    b.output(d)
    with pytest.raises(FixedPointOverflow) as ei:
        rnnsim.simulate(b.build(), [0, 0, 0], Fixed(1500, 0), engine="reference")
    from decimal import Decimal

    shown = format(Decimal(2**1800), ".5e")        # 2^600 cubed, beyond float's range
    assert (ei.value.node, ei.value.time) == ("d", 3) and f"value {shown} needs" in str(ei.value)
    assert rnnsim.simulate(b.build(), [0, 0], "exact").outputs_float()[1] == float("inf")      # 2^1200


@pytest.mark.parametrize("engine", ["reference", "numba"])
def test_float64_constant_beyond_the_double_range_names_its_node(engine):
    b = Builder("big")
    x = b.input("x")
    v = b.node("v", init=0)
    w = b.node("w", init=10**400)
    b.update(v, v + 10**400 * x)
    b.update(w, w)
    b.output(v)
    with pytest.raises(UnsupportedFormat, match=r"node 'v': the constant 1e\+400 is beyond the range of float64"):
        rnnsim.simulate(b.build(), [1], "float64", engine=engine)
    b2 = Builder("big2")
    b2.input("x")
    w = b2.node("w", init=-(10**400))
    b2.update(w, w)
    b2.output(w)
    with pytest.raises(UnsupportedFormat, match=r"node 'w' \(initial value\): the constant -1e\+400"):
        rnnsim.simulate(b2.build(), [1], "float64", engine=engine)


# ---- several nodes divide by zero in one step --------------------------------------------------

def _two_zero_recips(shared: bool):
    """Nodes declared b, a (node order) but updated a, b; both divide by zero at time 1."""
    bl = Builder("rz")
    x = bl.input("x")
    k = bl.node("k", init=0)
    nb = bl.node("b", init=0)
    na = bl.node("a", init=0)
    bl.update(k, k + 1)
    arg = k - 1
    if shared:
        bl.update(na, recip(arg) + x)
        bl.update(nb, recip(arg) * 2)               # the same Recip, shared by CSE
    else:
        bl.update(na, recip(arg + x))
        bl.update(nb, relu(recip(2 * arg)) + recip(arg - x + 3))
    bl.output(na)
    return bl.build()


@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize("fmt", ["float64", Fixed(6, 8), Fixed(4, 40)])
def test_the_node_named_for_a_reciprocal_of_zero_is_the_first_in_node_order_everywhere(shared, fmt):
    rnn = _two_zero_recips(shared)
    assert rnn.nodes.index("b") < rnn.nodes.index("a")
    back = loads(dumps(rnn))
    docs = [[0, 0, 0], [0, 1, 0]]
    engines = ["reference", "numba"] + (ENGINES_AND_C[1:] if _have_gcc() else [])
    for net in (rnn, back):
        for eng in engines:
            got = _run(net, docs, fmt, eng)
            assert isinstance(got, ReciprocalOfZero), (eng, got)
            assert (got.node, got.time) == ("b", 1), (eng, got.node, got.time)
            assert str(got).startswith("node 'b' at time 1: reciprocal of zero")
    tr_err = None
    try:
        rnnsim.simulate(rnn, [0, 0], fmt, engine="numba", record="all")
    except ReciprocalOfZero as e:
        tr_err = e
    assert tr_err is not None and (tr_err.node, tr_err.time) == ("b", 1)


def _have_gcc():
    import shutil

    return shutil.which("gcc") is not None


# ---- RNN-times beyond 2^63 -----------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["reference", "numba", "auto"])
def test_rnn_time_beyond_2_63_is_an_input_error_not_a_wrap(engine):
    b = Builder("t", tau=2**62)
    x = b.input("x")
    y = b.node("y")
    b.update(y, y + x)
    b.output(y)
    rnn = b.build()
    for call in (lambda: rnnsim.simulate_batch(rnn, [[1, 1]], "float64", engine=engine),
                 lambda: rnnsim.simulate_all(rnn, 2, "float64", engine=engine),
                 lambda: rnnsim.simulate(rnn, [1, 0], "float64", engine=engine),
                 lambda: rnnsim.simulate(rnn, [1, 0], "float64", engine=engine, record="tokens")):
        with pytest.raises(InputError, match=r"N·τ = 9223372036854775808, beyond 2\^63 − 1"):
            call()
    ex = get_engine("numba").compile(rnn.program, rnnsim.FLOAT64)
    with pytest.raises(InputError, match="64 bits"):
        ex.advance_many(ex.init_state(1), np.array([[1, 1]]), 0)


# ---- tokens given as floats, huge or unsigned integers -------------------------------------------

@pytest.mark.parametrize("bad", [[float("inf")], [1e19], np.array([2**64 - 1], dtype=np.uint64), [2**70], [0.5]])
def test_bad_tokens_are_input_errors_showing_the_value(bad):
    rnn = _quarter_net()
    with pytest.raises(InputError) as ei:
        rnnsim.simulate_batch(rnn, [bad], "float64", engine="numba")
    assert "-1" not in str(ei.value)


# ---- every engine records traces -----------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["float64", Fixed(6, 12), "exact"])
def test_numba_records_the_same_trace_as_the_reference(fmt):
    from tests.rnnsim.test_engines import _prob_net

    rnn = _prob_net()
    toks = [1, 0, 1, 1]
    kw = dict(record="all", nodes=["p", "x"], track_max=True)
    ref = rnnsim.simulate(rnn, toks, fmt, engine="reference", **kw)
    if fmt == "exact":
        with pytest.raises(UnsupportedFormat):
            rnnsim.simulate(rnn, toks, fmt, engine="numba", **kw)
        return
    got = rnnsim.simulate(rnn, toks, fmt, engine="numba", **kw)
    assert got.times == ref.times == list(range(len(toks) * rnn.tau + 1))
    assert got.values == ref.values and got.max_abs == ref.max_abs and got.outputs == ref.outputs
    assert set(got.values) == {"p", "x"} and got.values["x"][:2] == [1, 1]


def test_cli_run_with_numba_trace_and_vcd(tmp_path):
    vcd = tmp_path / "t.vcd"
    r = subprocess.run([sys.executable, "-m", "rnnsim.cli", "run", "example", "--tokens", "0110", "--engine", "numba",
                        "--arithmetic", "fixed:7:24", "--trace", "*", "--vcd", str(vcd)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert vcd.exists() and "$var" in vcd.read_text()
    ref = subprocess.run([sys.executable, "-m", "rnnsim.cli", "run", "example", "--tokens", "0110", "--engine",
                          "reference", "--arithmetic", "fixed:7:24", "--trace", "*"], capture_output=True, text=True)
    assert r.stdout == ref.stdout


# ---- exact values cannot run away ----------------------------------------------------------------

def _squaring_net():
    """a ← a·a + x/7, a₀ = 1/3: the denominator squares every step."""
    b = Builder("sq")
    x = b.input("x")
    a = b.node("a", init=Fraction(1, 3))
    b.update(a, a * a + x / 7)
    b.output(a)
    return b.build()


def _first_time_over(limit: int) -> int:
    """Directly from the recurrence: the first t with a_t's numerator or denominator over ``limit`` bits."""
    a, t = Fraction(1, 3), 0
    while max(a.numerator.bit_length(), a.denominator.bit_length()) <= limit:
        a, t = a * a + Fraction(1, 7), t + 1
    return t


def test_exact_values_over_the_size_limit_raise_naming_node_time_and_size():
    rnn = _squaring_net()
    t = _first_time_over(1 << 16)
    with pytest.raises(ExactValueTooLarge) as ei:
        rnnsim.simulate(rnn, [1] * 24, "exact")
    e = ei.value
    assert (e.node, e.time) == ("a", t) and e.bits > 1 << 16
    assert f"node 'a' at time {t}: exact value too large" in str(e) and "over the limit of 65536 bits" in str(e)
    small = rnnsim.Exact(max_bits=300)
    with pytest.raises(ExactValueTooLarge) as si:
        rnnsim.simulate(rnn, [1] * 24, small)
    assert (si.value.node, si.value.time) == ("a", _first_time_over(300)) and si.value.bits > 300
    big = rnnsim.Exact(max_bits=1 << 18)
    assert len(rnnsim.simulate(rnn, [1] * 10, big).outputs) == 10
    with pytest.raises(rnnsim.NetworkError):
        rnnsim.Exact(max_bits=0)
