"""The exactness boundary of the compiled engines, tested across it (THEORY §2.4,
rnnsim/engines/exactness.py): formats of bit size 56 … 66 and beyond, every operation
kind, raise and saturate, values near overflow of both signs. Each run is bit-identical
to the reference (outputs, or error class, node, time and message), or a documented
refusal: UnsupportedFormat before running exactly where the boundary says so, or
EngineRangeExceeded at run time only where an intermediate that more than the node
commit reads needs more than 64 bits and the reference goes on (a saturating format, or
a value gated away) — in a raising format the failing run is rerun on the reference,
which names the overflow exactly."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnsim
from rnnsim import Builder, EngineRangeExceeded, Fixed, UnsupportedFormat, recip, relu
from rnnsim.engines import get_engine
from rnnsim.engines.exactness import MAX_NODE_BITS
from tests.engine_compare import assert_same_values, run_or_error
from tests.strategies import networks

pytestmark = pytest.mark.lemma("§2.4 arithmetic")

F = Fraction


def _net(kind: str, fmt: Fixed):
    """A two-node network of one operation kind whose values sit near ±2^i."""
    i, f = fmt.int_bits, fmt.frac_bits
    near = F(2**i) - F(3, 2**f) if f else F(2**i - 1)      # just below the limit
    eps = F(1, 2**f)
    b = Builder(f"edge_{kind}")
    x = b.input("x")
    y = b.node("y", init=near)
    z = b.node("z", init=-near)
    if kind == "affine":                # non-integer weights: |·| grows by 1/16 per step
        b.update(y, F(-17, 16) * y + F(3, 8) * x + eps)
        b.update(z, F(15, 16) * z - F(1, 3) * x)
    elif kind == "affine_int":          # integer weights: shifts of ±1 around the limit
        b.update(y, -1 * y + x - 1)
        b.update(z, -1 * z - x)
    elif kind == "prod":                # a product read only by the node commit
        b.update(y, y * z)
        b.update(z, -1 * z + x * eps)
    elif kind == "prod_shared":         # a product read by two ops: not a commit-only value
        pz = y * z
        b.update(y, relu(pz) - relu(-1 * pz))
        b.update(z, F(-1, 2) * z + x)
    elif kind == "recip":               # reciprocals of small values of both signs
        b.update(y, recip(z + (x + 1) * eps) * eps * 3)
        b.update(z, -1 * z + x * 2 * eps)
    elif kind == "relu":
        b.update(y, relu(F(-17, 16) * y) - relu(F(17, 16) * y) + x)
        b.update(z, relu(z + x) - 2 * relu(-z))
    else:                               # "copy": constants and node copies at the edge
        w = b.node("w", init=0)
        b.update(y, 1 * z)
        b.update(z, -1 * w)
        b.update(w, rnnsim.Const(near) if i < 62 else rnnsim.Const(-near))
    b.output(y)
    return b.build()


KINDS = ["affine", "affine_int", "prod", "prod_shared", "recip", "relu", "copy"]
BITS = [56, 60, 62, 63, 64, 65, 66, 80]
DOCS = np.array([[0, 1, 1, 0, 1], [1, 0, 0, 1, 0], [1, 1, 1, 1, 1]], dtype=np.int64)


def _formats(bits):
    """Splits of 1 + i + f = bits: few, half and most bits fractional."""
    out = []
    for f in (8, (bits - 1) // 2, bits - 4):
        i = bits - 1 - f
        if i >= 1 and f >= 0:
            out.append((i, f))
    return out


def _c_run(kind_c):
    def run(rnn, docs, fmt, _engine):
        from tests.rnnsim.c_source import CSourceExecutor

        try:
            ex = CSourceExecutor(rnn.program, fmt, kind_c)
            return ex.advance_many(ex.init_state(len(docs)), docs, 0)[1]
        except rnnsim.SimulationError as e:
            return e
    return run


def _check(rnn, fmt, kind, engine="numba"):
    """One network in one format: refusal iff the boundary says so, else identical or a
    documented run-time refusal. Returns the outcome's name. ``engine``: "numba", or
    "c-straight" / "c-interp" (the CUDA source built as C)."""
    runner = run_or_error if engine == "numba" else _c_run(engine[2:])
    try:
        get_engine("numba").check(rnn.program, fmt)
    except UnsupportedFormat as e:
        assert fmt.bits > MAX_NODE_BITS, f"{kind} {fmt} refused inside the boundary: {e}"
        assert f"node values of {fmt} need {fmt.bits} bits" in str(e)
        return "refused"
    assert fmt.bits <= MAX_NODE_BITS
    ref = run_or_error(rnn, DOCS, fmt, "reference")
    try:
        got = runner(rnn, DOCS, fmt, "numba")
    except EngineRangeExceeded as e:
        # raise: the rerun on the reference names the overflow, unless the value is
        # gated away (prod_shared, recip); saturate: any intermediate beyond 2^63 read by an op
        assert fmt.overflow == "saturate" or kind in ("prod_shared", "recip"), (kind, fmt, e)
        assert e.bits > 64 and e.node == "y"
        return "range"
    if isinstance(ref, Exception) or isinstance(got, Exception):
        assert type(got) is type(ref) and (got.node, got.time, str(got)) == (ref.node, ref.time, str(ref)), (
            kind, fmt, ref, got)
        return type(ref).__name__
    assert_same_values(ref, got, fmt, what=f"{kind} in {fmt}")
    return "equal"


@pytest.mark.parametrize("kind", KINDS)
def test_formats_across_the_boundary_are_identical_or_refused(kind):
    seen = {}
    for bits in BITS:
        for i, f in _formats(bits):
            for policy in ("raise", "saturate"):
                fmt = Fixed(i, f, policy)
                out = _check(_net(kind, fmt), fmt, kind)
                seen[out] = seen.get(out, 0) + 1
    # the sweep exercises both sides of the boundary, and overflows or saturation near it
    assert seen.get("refused", 0) > 0 and seen.get("equal", 0) > 0, seen
    if kind in ("affine", "affine_int", "prod"):
        assert seen.get("FixedPointOverflow", 0) > 0, seen


@pytest.mark.skipif(__import__("shutil").which("gcc") is None, reason="gcc is not installed")
@pytest.mark.parametrize("engine,bits", [("c-interp", BITS), ("c-straight", [62, 64, 65])])
def test_the_cuda_source_built_as_c_agrees_across_the_boundary(engine, bits):
    seen = {}
    for kind in KINDS:
        for b in bits:
            for i, f in _formats(b):
                for policy in ("raise", "saturate"):
                    fmt = Fixed(i, f, policy)
                    out = _check(_net(kind, fmt), fmt, kind, engine)
                    seen[out] = seen.get(out, 0) + 1
    assert seen.get("equal", 0) > 0 and seen.get("FixedPointOverflow", 0) > 0, seen


def test_the_boundary_is_bit_size_64_for_node_values():
    rnn = _net("affine", Fixed(8, 8))
    eng = get_engine("numba")
    for i, f in [(1, 62), (31, 32), (62, 1), (55, 8)]:
        eng.check(rnn.program, Fixed(i, f))
        with pytest.raises(UnsupportedFormat, match=r"\[kernel plan pass 'exactness'\]"):
            eng.check(rnn.program, Fixed(i + 1, f))


fixed_up_to_the_limit = st.builds(
    lambda f, extra, policy: Fixed(max(1, 63 - f + extra), f, policy),
    st.integers(0, 62), st.integers(-12, 3), st.sampled_from(["raise", "saturate"]))


@settings(max_examples=60)
@given(networks(max_nodes=4, clamp_bound=None, max_tau=2), fixed_up_to_the_limit)
def test_random_networks_in_formats_up_to_and_past_the_refusal_limit(rnn, fmt):
    """Formats drawn around bit size 64 (from 12 bits inside to 3 past): the numba engine
    is identical to the reference or refuses in a documented way."""
    docs = rnnsim.all_documents(rnn.alphabet, 3)
    try:
        get_engine("numba").check(rnn.program, fmt)
    except UnsupportedFormat as e:
        assert "[kernel plan pass 'exactness']" in str(e)
        return
    ref = run_or_error(rnn, docs, fmt, "reference")
    try:
        got = run_or_error(rnn, docs, fmt, "numba")
    except EngineRangeExceeded as e:
        assert e.bits > 64
        return
    if isinstance(ref, Exception) or isinstance(got, Exception):
        assert type(got) is type(ref) and (got.node, got.time, str(got)) == (ref.node, ref.time, str(ref))
        return
    assert_same_values(ref, got, fmt)


@pytest.mark.parametrize("engine", ["numba", "c-interp", "c-straight"])
@pytest.mark.parametrize("i,f", [(3, 4), (20, 35), (1, 62), (62, 1), (40, 23)])
def test_a_node_value_exactly_at_the_largest_magnitude_is_not_an_overflow(engine, i, f):
    """|v| = 2^i − 2^−f is the largest legal value: it must pass the overflow rule, and one
    grid step more must not (a node whose bound exceeds the range is checked)."""
    if engine != "numba" and __import__("shutil").which("gcc") is None:
        pytest.skip("gcc is not installed")
    fmt = Fixed(i, f)
    top = fmt.max_value
    b = Builder("top")
    x = b.input("x")
    a = b.node("a", init=top - F(1, 2**f))
    c = b.node("c", init=-top + F(1, 2**f))
    y = b.node("y", init=0)
    z = b.node("z", init=0)
    b.update(a, 1 * a)
    b.update(c, 1 * c)
    b.update(y, a + x * F(1, 2**f))           # top at x = 1, bound 2·max: checked
    b.update(z, c - x * F(1, 2**f))           # −top
    b.output(y)
    rnn = b.build()
    assert _check(rnn, fmt, "top", engine) == "equal"
    out = run_or_error(rnn, np.array([[1, 1]]), fmt, "reference")
    assert out[0, 1] == top * 2**f
    b2 = Builder("over")
    x = b2.input("x")
    a = b2.node("a", init=top)
    y = b2.node("y", init=0)
    b2.update(a, 1 * a)
    b2.update(y, a + x * F(1, 2**f))          # one grid step past the top: overflow at time 1
    b2.output(y)
    assert _check(b2.build(), fmt, "over", engine) == "FixedPointOverflow"
