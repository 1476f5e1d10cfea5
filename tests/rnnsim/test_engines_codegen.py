"""The GPU engine's generated source, tested without a GPU: the same C/CUDA source built
with gcc (plain-C branch) must reproduce the reference (THEORY §2.4) for the straight-line
and the interpreter kernels; plus structural checks of the CUDA text, and the CuPy engine
itself where a GPU exists (marked ``gpu``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnsim
import rnnsim.engines
from rnnsim import Fixed, SimulationError
from rnnsim.arith import parse_arithmetic
from rnnsim.engines.codegen import literal, straight_line_source
from rnnsim.engines.kernel_plan import build_plan
from tests.engine_compare import assert_engine_matches_reference, assert_same_values
from tests.rnnsim.c_source import CSourceExecutor, needs_gcc
from tests.strategies import networks_and_documents

pytestmark = pytest.mark.lemma("§2.4 arithmetic")


def _outputs(ex, docs, tau):
    st_ = ex.init_state(len(docs))
    st_, out = ex.advance_many(st_, docs, 0)
    return out


def _compare_c(rnn, docs, fmt, kind):
    arith = parse_arithmetic(fmt)
    docs = np.asarray(docs, dtype=np.int64)
    try:
        ref = rnnsim.simulate_batch(rnn, docs, arith, engine="reference", raw=True)
    except SimulationError as e:
        ref = e
    try:
        got = _outputs(CSourceExecutor(rnn.program, arith, kind), docs, rnn.tau)
    except rnnsim.UnsupportedFormat:
        with pytest.raises(rnnsim.UnsupportedFormat):   # the numba engine refuses it alike
            rnnsim.engines.get_engine("numba").check(rnn.program, arith)
        return
    except SimulationError as e:                        # run-time error, or an initial value out of range
        got = e
    if isinstance(ref, Exception) or isinstance(got, Exception):
        assert type(ref) is type(got) and str(ref) == str(got), (ref, got)
        return
    # same operations in the same order: float64 results are equal, not just close
    assert_same_values(ref, got, arith, rtol=0.0, what=f"C build of the {kind} CUDA kernel in {arith}")


def _matrix(docs):
    n = max(len(d) for d in docs)
    return np.array([list(d) + [0] * (n - len(d)) for d in docs], dtype=np.int64)


FORMATS = ["float64", Fixed(4, 8), Fixed(3, 12, "saturate"), Fixed(4, 30), Fixed(6, 20)]


@needs_gcc
@settings(max_examples=25)
@given(networks_and_documents(max_docs=4, max_len=4), st.sampled_from(FORMATS))
def test_straight_line_cuda_source_built_as_c_equals_reference(case, fmt):
    rnn, docs = case
    _compare_c(rnn, _matrix(docs), fmt, "straight")


@needs_gcc
@settings(max_examples=25)
@given(networks_and_documents(max_docs=5, max_len=4), st.sampled_from(FORMATS))
def test_interpreter_cuda_source_built_as_c_equals_reference(case, fmt):
    rnn, docs = case
    _compare_c(rnn, _matrix(docs), fmt, "interp")


@needs_gcc
@pytest.mark.parametrize("kind", ["straight", "interp"])
@pytest.mark.parametrize("fmt", [Fixed(3, 6), Fixed(2, 3), Fixed(3, 6, "saturate")])
def test_cuda_source_reports_overflow_like_the_reference(kind, fmt):
    from tests.rnnsim.test_engines import _counter_net

    rnn = _counter_net(tau=2)
    docs = np.array([[0, 0, 0, 0, 0], [1, 1, 1, 1, 1], [1, 0, 1, 0, 1]])
    _compare_c(rnn, docs, fmt, kind)


def test_generated_cuda_source_structure():
    from tests.rnnsim.test_engines import _prob_net

    rnn = _prob_net()
    p = rnn.program
    plan = build_plan(p, rnnsim.FLOAT64, engine="cupy", fuse=False)
    src = straight_line_source(plan, p, rnnsim.FLOAT64)
    assert 'extern "C" __global__' in src and "rnn_run" in src and "__umul64hi" in src
    body = src[src.index("for (i64 s = 0;"):]
    # one statement per kernel op (assignment to a temp or a next-bank node)
    assigns = [ln for ln in body.splitlines() if ln.strip().startswith(("r", "w")) and " = " in ln]
    assert len(assigns) >= plan.n_ops
    assert "fma" not in src.replace("fmad", "")
    # every float constant is a literal that reads back as the same double
    import re

    lits = [float(x) for x in re.findall(r"\((-?[0-9][0-9.e+-]*)\)", body)]
    assert lits and all(float(repr(v)) == v for v in lits)
    assert (0.2).hex() != (0.2 + 2**-55).hex() and literal(0.1, False) == "(0.1)"
    fixed = straight_line_source(build_plan(p, Fixed(4, 40), engine="cupy", fuse=False), p, Fixed(4, 40))
    assert "mul_shift_trunc(" in fixed.split("RNN_DEVICE void rnn_lane")[1]


def test_cupy_refuses_exact_and_too_wide_formats_without_a_gpu():
    from rnnsim.engines.cupy_engine import CupyEngine

    from tests.rnnsim.test_engines import _counter_net

    eng = CupyEngine()
    with pytest.raises(rnnsim.UnsupportedFormat, match="cupy"):
        eng.check(_counter_net().program, rnnsim.EXACT)
    with pytest.raises(rnnsim.UnsupportedFormat, match="cupy"):
        eng.check(_counter_net().program, Fixed(40, 30))


def test_cupy_unavailability_is_a_reason_not_a_crash():
    from rnnsim.engines import available_engines

    why = available_engines()["cupy"]
    assert why is None or isinstance(why, str) and why


def _gpu_or_skip():
    cp = pytest.importorskip("cupy")
    try:
        if cp.cuda.runtime.getDeviceCount() < 1:
            pytest.skip("no CUDA device")
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"no usable CUDA device: {e}")


@pytest.mark.gpu
@settings(max_examples=30)
@given(networks_and_documents(max_docs=4, max_len=4), st.sampled_from(FORMATS))
def test_cupy_engine_equals_reference_on_random_networks(case, fmt):
    _gpu_or_skip()
    rnn, docs = case
    assert_engine_matches_reference(rnn, _matrix(docs), fmt, "cupy", allow_unsupported=True)


@pytest.mark.gpu
def test_cupy_interpreter_kernel_equals_reference(monkeypatch):
    _gpu_or_skip()
    import rnnsim.engines.cupy_engine as ce
    from tests.rnnsim.test_engines import _prob_net

    monkeypatch.setattr(ce, "STRAIGHT_LINE_MAX_OPS", 0)
    rnn = _prob_net()
    docs = np.random.default_rng(0).integers(0, 2, (300, 6))
    for fmt in ("float64", Fixed(4, 30), Fixed(3, 12, "saturate")):
        assert_engine_matches_reference(rnn, docs, fmt, "cupy")
