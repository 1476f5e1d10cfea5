"""THE shared helper that compares any engine with the reference engine (THEORY §2.4).

Usage, from any test module (``tests`` is a package)::

    from tests.engine_compare import assert_engine_matches_reference
    assert_engine_matches_reference(rnn, 8, "fixed:8:16", "numba")        # all 2^8 documents
    assert_engine_matches_reference(rnn, token_matrix, "float64", "numba")   # given documents

``assert_engine_matches_reference(rnn, tokens_or_N, arithmetic="float64", engine="numba", *,
rtol=1e-12, check_states=True, check_trace=True, check_random_states=True, allow_unsupported=False)``

* ``tokens_or_N``: an int N (every document of Σ^N, through ``simulate_all``), or a token
  sequence / (B, N) token matrix (through ``simulate_batch``).
* It passes when the engine's outputs equal the reference's — raw integers bit for bit in
  ``fixed`` formats, within ``rtol`` relative (same NaN/inf positions) in ``float64``, exact
  objects in ``exact`` — or when both raise the same run-time error (same class, node,
  time and message). With ``check_states`` it also compares every node's final value on a
  few documents (hidden nodes that never reach the output included). With
  ``check_trace`` it records the first document with both engines (``record="all"``,
  ``track_max=True``) and compares times, every node's value at every step and the
  maxima. With ``check_random_states`` it starts both engines from the same random
  states — every node set to a value of either sign with fraction bits, in range — and
  compares one token's outputs, node values or errors: networks whose own values are
  non-negative (probabilities, counters) then still tell truncation toward zero from
  flooring, in every operation.
* A compiled engine that stops with :class:`rnnsim.EngineRangeExceeded` (a documented
  refusal at run time) passes when ``allow_unsupported=True``, and the helper returns None.
* An engine refusing the format raises :class:`rnnsim.UnsupportedFormat` out of the helper
  (a test fails), unless ``allow_unsupported=True``, in which case the helper returns None.
* Returns the engine's raw outputs (an array of shape (B, N)).
"""

from __future__ import annotations

import numpy as np

import rnnsim
from fractions import Fraction

from rnnsim import EngineRangeExceeded, SimulationError, UnsupportedFormat, parse_arithmetic, simulate_all, simulate_batch
from rnnsim.arith import Fixed, Float64
from rnnsim.engines import get_engine

__all__ = ["assert_engine_matches_reference", "assert_same_values", "run_or_error"]


def run_or_error(rnn, tokens_or_N, arith, engine):
    """Raw outputs of one engine, or the SimulationError it raised."""
    try:
        if isinstance(tokens_or_N, (int, np.integer)):
            return simulate_all(rnn, int(tokens_or_N), arith, engine=engine, raw=True, progress=False)
        return simulate_batch(rnn, tokens_or_N, arith, engine=engine, raw=True, progress=False)
    except SimulationError as e:
        return e


def assert_same_values(ref, got, arith, rtol=1e-12, what="outputs"):
    """Element-wise equality under the comparison rule of ``arith``."""
    ref = np.asarray(ref)
    got = np.asarray(got)
    assert ref.shape == got.shape, f"{what}: shape {got.shape} != reference {ref.shape}"
    if isinstance(arith, Float64):
        r = ref.astype(np.float64)
        g = got.astype(np.float64)
        same_special = np.array_equal(np.isnan(r), np.isnan(g)) and np.array_equal(
            np.where(np.isinf(r), r, 0), np.where(np.isinf(g), g, 0))
        fin = np.isfinite(r) & np.isfinite(g)
        ok = same_special and np.all(np.abs(r[fin] - g[fin]) <= rtol * np.abs(r[fin]))
        if not ok:
            bad = np.argwhere(~np.isclose(r, g, rtol=rtol, atol=0, equal_nan=True))
            i = tuple(bad[0]) if len(bad) else None
            raise AssertionError(
                f"{what} differ beyond {rtol} relative (float64) at {len(bad)} places; first at "
                f"{i}: engine {g[i] if i is not None else '?'} vs reference {r[i] if i is not None else '?'}")
    else:
        eq = np.vectorize(lambda a, b: int(a) == int(b) if isinstance(arith, Fixed) else a == b,
                          otypes=[bool])(ref, got) if ref.size else np.ones(ref.shape, bool)
        if not np.all(eq):
            bad = np.argwhere(~eq)
            i = tuple(bad[0])
            raise AssertionError(
                f"{what} not bit-identical in {arith} at {len(bad)} places; first at {i}: "
                f"engine {got[i]!r} vs reference {ref[i]!r}")


def assert_engine_matches_reference(rnn, tokens_or_N, arithmetic="float64", engine="numba", *,
                                    rtol=1e-12, check_states=True, check_trace=True, check_random_states=True,
                                    allow_unsupported=False):
    """See the module docstring."""
    arith = parse_arithmetic(arithmetic)
    if not isinstance(tokens_or_N, (int, np.integer)):
        toks = np.asarray(tokens_or_N, dtype=np.int64)
        tokens_or_N = toks[None, :] if toks.ndim == 1 else toks
    try:
        get_engine(engine).check(rnn.program, arith) if engine != "reference" else None
    except UnsupportedFormat:
        if allow_unsupported:
            return None
        raise
    if check_random_states and engine != "reference":
        _compare_from_random_states(rnn, arith, engine, rtol)
    ref = run_or_error(rnn, tokens_or_N, arith, "reference")
    got = run_or_error(rnn, tokens_or_N, arith, engine)
    if isinstance(got, EngineRangeExceeded) and allow_unsupported:
        return None
    if isinstance(ref, Exception) or isinstance(got, Exception):
        assert isinstance(ref, Exception), f"engine {engine!r} raised {got!r}; the reference ran without error"
        assert isinstance(got, Exception), f"the reference raised {ref!r}; engine {engine!r} ran without error"
        assert type(got) is type(ref), f"engine raised {type(got).__name__}, reference {type(ref).__name__}"
        assert (got.node, got.time) == (ref.node, ref.time), (
            f"error at node {got.node!r} time {got.time}; reference: node {ref.node!r} time {ref.time}")
        assert str(got) == str(ref), f"messages differ:\n engine:    {got}\n reference: {ref}"
        return None
    assert_same_values(ref, got, arith, rtol, what=f"outputs of engine {engine!r} in {arith}")
    if check_states:
        _compare_final_states(rnn, tokens_or_N, arith, engine, rtol)
    if check_trace:
        _compare_traces(rnn, tokens_or_N, arith, engine, rtol)
    return got


def _first_document(rnn, tokens_or_N):
    if isinstance(tokens_or_N, (int, np.integer)):
        return [int(i % rnn.alphabet) for i in range(int(tokens_or_N))]
    return [int(t) for t in np.asarray(tokens_or_N)[0]]


def _compare_traces(rnn, tokens_or_N, arith, engine, rtol):
    """The recorded trace (every node, every step, maxima) of one document."""
    doc = _first_document(rnn, tokens_or_N)
    if not doc:
        return
    traces = []
    for name in ("reference", engine):
        try:
            traces.append(rnnsim.simulate(rnn, doc, arith, engine=name, record="all", track_max=True))
        except SimulationError as e:
            traces.append(e)
    ref, got = traces
    if isinstance(ref, Exception) or isinstance(got, Exception):
        assert type(ref) is type(got) and str(ref) == str(got), (ref, got)
        return
    assert got.times == ref.times, "recorded times differ"
    names = list(ref.values)
    assert list(got.values) == names
    as_arr = lambda tr: np.array([tr.values[n] for n in names], dtype=object)  # noqa: E731
    r, g = as_arr(ref), as_arr(got)
    if isinstance(arith, Float64):
        r, g = r.astype(np.float64), g.astype(np.float64)
    assert_same_values(r, g, arith, rtol, what=f"recorded trace of engine {engine!r} in {arith}")
    mr = np.array([ref.max_abs[n] for n in names], dtype=object)
    mg = np.array([got.max_abs[n] for n in names], dtype=object)
    if isinstance(arith, Float64):
        mr, mg = mr.astype(np.float64), mg.astype(np.float64)
    assert_same_values(mr, mg, arith, rtol, what=f"recorded maxima of engine {engine!r} in {arith}")


def random_state_values(rnn, arith, rng) -> list:
    """A value of either sign for every node, in range and with fraction bits (Fixed: on
    the grid; float64: a double; exact: a rational)."""
    vals = []
    for _ in rnn.nodes:
        if isinstance(arith, Fixed):
            top = min(arith.limit, 4) * arith.scale - 1
            vals.append(Fraction(int(rng.integers(-top, top + 1)), arith.scale))
        else:
            v = Fraction(int(rng.integers(-40, 41)), int(rng.choice([1, 3, 7, 16])))
            vals.append(float(v) if isinstance(arith, Float64) else v)
    return vals


def _compare_from_random_states(rnn, arith, engine, rtol, rows=3, seed=12345):
    rng = np.random.default_rng(seed)
    starts = [random_state_values(rnn, arith, rng) for _ in range(rows)]
    toks = np.array([int(rng.integers(0, rnn.alphabet)) for _ in range(rows)], dtype=np.int64)
    results = []
    for name in ("reference", engine):
        try:
            ex = get_engine(name).compile(rnn.program, arith)
            st = ex.init_state(rows)
            for r, vals in enumerate(starts):
                ex.set_node_values(st, r, vals)
            st, out = ex.advance(st, toks, 0)
            results.append((np.asarray(out), np.array([ex.node_values(st, r) for r in range(rows)], dtype=object)))
        except (SimulationError, EngineRangeExceeded) as e:
            results.append(e)           # a refusal from garbage states is documented, not a mismatch
    ref, got = results
    if isinstance(got, EngineRangeExceeded):
        return
    if isinstance(ref, Exception) or isinstance(got, Exception):
        assert type(ref) is type(got) and str(ref) == str(got), ("from random states", ref, got)
        return
    for (a, b, what) in ((ref[0], got[0], "outputs"), (ref[1], got[1], "node values")):
        if isinstance(arith, Float64):
            a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        assert_same_values(a, b, arith, rtol, what=f"{what} of engine {engine!r} from random states in {arith}")


def _compare_final_states(rnn, tokens_or_N, arith, engine, rtol, rows=4):
    """Every node's value after the last token, for up to ``rows`` documents."""
    if isinstance(tokens_or_N, (int, np.integer)):
        docs = rnnsim.all_documents(rnn.alphabet, int(tokens_or_N))
    else:
        docs = np.asarray(tokens_or_N, dtype=np.int64)
    if len(docs) == 0:
        return
    pick = np.unique(np.linspace(0, len(docs) - 1, min(rows, len(docs))).astype(np.int64))
    docs = docs[pick]
    finals = []
    for name in ("reference", engine):
        ex = get_engine(name).compile(rnn.program, arith)
        st = ex.init_state(len(docs))
        for m in range(docs.shape[1]):
            st, _ = ex.advance(st, np.ascontiguousarray(docs[:, m]), m * rnn.tau)
        finals.append(np.array([ex.node_values(st, r) for r in range(len(docs))], dtype=object))
    ref_v, got_v = finals
    if isinstance(arith, Float64):
        ref_v = ref_v.astype(np.float64)
        got_v = got_v.astype(np.float64)
    assert_same_values(ref_v, got_v, arith, rtol, what=f"final node values of engine {engine!r} in {arith}")
