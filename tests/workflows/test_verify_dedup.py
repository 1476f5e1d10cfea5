"""Verification runs each distinct run state once (workflows.verify, ``dedup``): the program
is a function of (state, token), so prefixes whose runs are identical bit for bit need one
run. The report, the outputs and the errors must be those of running every prefix, and the
number of runs simulated must be the number an independent count of distinct states gives."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnsim
from rnnsim import Builder, Fixed, recip
from rnnsim.arith import parse_arithmetic
from rnnsim.engines import get_engine
from rnnsim.strings import nth_string
from tests import catalog
from tests.strategies import networks
from workflows import verify as V
from rnnsim.prefix_tree import distinct_runs

pytestmark = pytest.mark.lemma("Lemma 2", "Lemma 3")


def uniform(b):
    return lambda prefix: [Fraction(1, b)] * b


def both(net, N, **kw):
    """The report with and without deduplication (every output kept)."""
    q = kw.pop("expected", None) or uniform(net.alphabet)
    on = V.verify(net, q, N, keep_outputs=True, progress=False, dedup=True, **kw)
    off = V.verify(net, q, N, keep_outputs=True, progress=False, dedup=False, **kw)
    return on, off


@pytest.mark.parametrize("name", sorted(catalog.CASES))
def test_dedup_report_and_outputs_equal_every_prefix_run(name):
    """Every catalogue network, float64 on the compiled engine and its fixed format: the
    same verdict, largest error, worst document and position, and every output."""
    net = catalog.build(name)
    N = min(catalog.CASES[name].N, 6)
    for arith, engine in (("float64", "numba"), (catalog.CASES[name].fixed, "auto")):
        on, off = both(net, N, arithmetic=arith, engine=engine, workers=1, shard_depth=1)
        assert on.result() == off.result(), (name, arith)
        assert np.array_equal(on.outputs, off.outputs), (name, arith)
        assert off.runs_simulated == sum(net.alphabet ** m for m in range(1, N + 1))
        assert on.runs_simulated <= off.runs_simulated


def distinct_states_per_level(net, N, arith):
    """Independent count: each prefix run alone on the reference engine from time 0, its node
    values (exact, plus the float's sign bit of zero) collected per length."""
    ex = get_engine("reference").compile(net.program, parse_arithmetic(arith))
    b = net.alphabet
    counts = [1]
    for m in range(1, N):
        seen = set()
        for d in range(b ** m):
            st = ex.init_state(1)
            st, _ = ex.advance_many(st, np.array([nth_string(d, m, b)], dtype=np.int64), 0)
            seen.add(tuple((v, np.signbit(float(v))) for v in ex.node_values(st, 0)) if arith == "float64"
                     else tuple(ex.node_values(st, 0)))
        counts.append(len(seen))
    return counts


@pytest.mark.parametrize("name,arith", [("markov1", "exact"), ("boost_k2", "float64"), ("motif_avoid", "float64"),
                                        ("universal", "float64"), ("iterate_k1_round2", "exact")])
def test_runs_simulated_is_b_times_the_distinct_states_of_each_level(name, arith):
    net = catalog.build(name)
    N = min(catalog.CASES[name].N, 5)
    rep = V.verify(net, uniform(net.alphabet), N, arithmetic=arith, engine="reference", workers=1, shard_depth=0,
                   progress=False)
    counts = distinct_states_per_level(net, N, arith)
    assert rep.runs_simulated == net.alphabet * sum(counts)
    if name == "markov1":       # an order-1 Markov network's state is a bounded suffix: it stops growing
        assert counts[-1] == counts[-2] < 2 ** (N - 1)


def test_dedup_saves_most_runs_on_a_boosted_markov_model():
    """The state of the boosted order-1 Markov network depends on a bounded suffix of the
    prefix: level m runs at most 2·(distinct states), far below 2^m."""
    net = catalog.build("boost_k2")
    on, off = both(net, 8, workers=1, shard_depth=0)
    assert on.result() == off.result()
    assert on.runs_simulated < off.runs_simulated // 4


def _recip_after_11():
    """1/(c) with c = 1 − x_prev·x: zero exactly when two 1s follow each other."""
    b = Builder("g")
    x = b.input("x")
    p = b.node("g.prev", init=0)
    c = b.node("g.c", init=1)
    b.update(p, x)
    b.update(c, recip(1 - p * x + 0 * c))
    b.output(c)
    return b.build()


@pytest.mark.parametrize("arith", ["float64", "exact", Fixed(4, 8)])
def test_an_error_on_a_deduplicated_run_is_the_error_of_the_first_document(arith):
    net = _recip_after_11()
    fmt = str(arith) if not isinstance(arith, str) else arith
    errors = []
    for dedup in (True, False):
        with pytest.raises(rnnsim.ReciprocalOfZero) as ei:
            V.verify(net, uniform(2), 5, arithmetic=fmt, workers=1, shard_depth=0, dedup=dedup, progress=False)
        errors.append(str(ei.value))
    assert errors[0] == errors[1]
    with pytest.raises(rnnsim.ReciprocalOfZero) as ei:       # all documents, token by token, on the reference
        rnnsim.simulate_all(net, 5, fmt, engine="reference")
    assert errors[0] == str(ei.value) == ("node 'g.c' at time 1: reciprocal of zero while computing its value "
                                          "for time 2 (the argument of a Recip in its transition is 0)")


@pytest.mark.parametrize("engine", ["reference", "numba"])
def test_run_keys_tell_minus_zero_from_zero(engine):
    """Keys compare bits, not values: −0.0 and 0.0 are different runs."""
    net = catalog.build("markov1")
    ex = get_engine(engine).compile(net.program, parse_arithmetic("float64"))
    st = ex.init_state(3)
    u = next(i for i in range(net.size) if i not in set(net.program.inputs.tolist()))
    if engine == "reference":
        st[0][u], st[1][u], st[2][u] = 0.0, -0.0, 0.0
    else:
        st[u, :] = [0.0, -0.0, 0.0]
    rows, inv = distinct_runs(ex.run_keys(st))
    assert rows == [0, 1] and inv.tolist() == [0, 1, 0]


@pytest.mark.parametrize("engine", ["reference", "numba"])
def test_runs_differing_in_any_one_node_are_distinct(engine):
    """For every node u: runs equal everywhere but at u are two runs; equal runs are one."""
    net = catalog.build("boost_k2")
    ex = get_engine(engine).compile(net.program, parse_arithmetic("float64"))
    for u in range(net.size):
        st = ex.init_state(3)
        if engine == "reference":
            st[1][u] = st[1][u] + 0.5
        else:
            st[u, 1] += 0.5
        rows, inv = distinct_runs(ex.run_keys(st))
        assert rows == [0, 1] and inv.tolist() == [0, 1, 0], net.program.names[u]


@pytest.mark.parametrize("name", sorted(catalog.CASES))
def test_simulate_all_with_shared_runs_equals_every_prefix_run(name):
    """simulate_all runs the same tree: bit-identical outputs (raw), every format and engine."""
    net = catalog.build(name)
    N = min(catalog.CASES[name].N, 6)
    for arith, engine in (("float64", "numba"), (catalog.CASES[name].fixed, "auto"), ("exact", "reference")):
        if arith == "exact" and N * net.tau * net.size > 20_000:
            continue
        on = rnnsim.simulate_all(net, N, arith, engine, raw=True, dedup=True)
        off = rnnsim.simulate_all(net, N, arith, engine, raw=True, dedup=False)
        assert on.dtype == off.dtype and np.array_equal(on, off), (name, arith)


def _all_or_error(net, N, arith, engine, dedup):
    try:
        return rnnsim.simulate_all(net, N, arith, engine, raw=True, dedup=dedup)
    except rnnsim.RNNSimError as e:
        return (type(e).__name__, str(e))


@settings(max_examples=60)
@given(networks(bounded_digits=True, max_nodes=5, max_depth=3), st.integers(1, 4),
       st.sampled_from([("float64", "reference"), ("float64", "numba"), ("exact", "reference"),
                        ("fixed:4:8", "numba")]))
def test_random_networks_shared_runs_change_nothing(net, N, fmt):
    """Random networks (run states collide often: few nodes, small values): the same outputs,
    or the same error with the same message, with and without shared runs."""
    arith, engine = fmt
    on = _all_or_error(net, N, arith, engine, True)
    off = _all_or_error(net, N, arith, engine, False)
    if isinstance(off, tuple):
        assert on == off
    else:
        assert not isinstance(on, tuple) and np.array_equal(on, off, equal_nan=arith == "float64")


def _two_recips():
    """From time 2 on (d = 1), a = 1/(1 + p − x) is undefined after ·01 and b = 1/(2 − p − x)
    after ·11 (p: the last token). Before that both are defined, and the runs after 00 and 10
    (after 01 and 11) are identical, so level 3 runs shared runs."""
    b = Builder("g")
    x = b.input("x")
    p = b.node("g.p", init=0)
    c = b.node("g.c", init=0)
    d = b.node("g.d", init=0)
    a = b.node("g.a", init=1)
    e = b.node("g.b", init=1)
    b.update(p, x)
    b.update(c, 1 + 0 * c)
    b.update(d, c)
    b.update(a, recip(1 + d * p - x + (1 - d)) + 0 * a)          # d = 0: 1/(2 − x); d = 1: 1/(1 + p − x)
    b.update(e, recip(2 - d * p - x + 2 * (1 - d)) + 0 * e)      # d = 0: 1/(4 − x); d = 1: 1/(2 − p − x)
    b.output(a)
    return b.build()


@pytest.mark.parametrize("engine", ["reference", "numba"])
def test_of_two_failing_prefixes_the_first_documents_error_is_raised(engine):
    """Prefixes 001 and 011 fail in the same step at different nodes: the error is 001's
    (node g.a), with shared runs as without, in simulate_all and in verify."""
    net = _two_recips()
    for dedup in (True, False):
        with pytest.raises(rnnsim.ReciprocalOfZero, match=r"^node 'g\.a' at time 2"):
            rnnsim.simulate_all(net, 3, "float64", engine, dedup=dedup)
        with pytest.raises(rnnsim.ReciprocalOfZero, match=r"^node 'g\.a' at time 2"):
            V.verify(net, uniform(2), 3, engine=engine, workers=1, shard_depth=0, dedup=dedup, progress=False)
