"""The native engine (per-network straight-line C vectorized over W lanes) agrees with the
reference engine in float64 (THEORY §2.4): equal outputs, node values and traces, the same
run-time errors; fixed and exact formats refused (THEORY §7). Skipped without a C compiler.
Compiled libraries are cached on disk (``RNNSIM_NATIVE_CACHE``), so a warm run compiles
nothing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

import rnnsim
from rnnsim import Builder, EngineUnavailable, Fixed, ReciprocalOfZero, UnsupportedFormat, recip, relu
from rnnsim.arith import Float64
from rnnsim.engines import available_engines, get_engine, select_engine
from rnnsim.engines import native_engine
from rnnsim.engines.native_engine import NativeEngine
from tests.catalog import CASES, build
from tests.engine_compare import assert_engine_matches_reference, assert_same_values, random_state_values
from tests.strategies import networks, networks_and_documents

pytestmark = [pytest.mark.lemma("§2.4 arithmetic"),
              pytest.mark.skipif(available_engines()["native"] is not None, reason="no C compiler for 'native'")]

F64 = Float64()


def _matrix(docs):
    n = max(len(d) for d in docs)
    return np.array([list(d) + [0] * (n - len(d)) for d in docs], dtype=np.int64)


# ---- the shared catalogue and random networks --------------------------------------------------

@pytest.mark.parametrize("name", sorted(CASES))
def test_native_matches_reference_on_every_document_of_the_catalogue(name):
    """Every document of length N, final states, the recorded trace (steps of 1) and
    random start states: equal, not just within 1e-12."""
    assert_engine_matches_reference(build(name), CASES[name].N, "float64", "native", rtol=0.0)


@settings(max_examples=25)
@given(networks_and_documents(max_docs=3, max_len=4))
def test_native_equals_reference_on_random_networks(case):
    """Random networks: one-hot and value inputs, τ ≥ 1, Recips (guarded and unguarded)."""
    rnn, docs = case
    assert_engine_matches_reference(rnn, _matrix(docs), "float64", "native", rtol=0.0)


@settings(max_examples=8)
@given(networks(max_nodes=4))
def test_native_simulate_all_equals_reference_on_every_document(rnn):
    assert_engine_matches_reference(rnn, 3, "float64", "native", rtol=0.0)


# ---- lanes, padding, threads ------------------------------------------------------------------

def _random_batch(rnn, B, M, seed):
    rng = np.random.default_rng(seed)
    starts = [random_state_values(rnn, F64, rng) for _ in range(B)]
    toks = rng.integers(0, rnn.alphabet, size=(B, M)).astype(np.int64)
    return starts, toks


def _run(ex, starts, toks, steps=None):
    st = ex.init_state(len(starts))
    for r, vals in enumerate(starts):
        ex.set_node_values(st, r, vals)
    st, out = ex.advance_many(st, toks, 0, steps)
    return np.asarray(out, dtype=np.float64), np.array([ex.node_values(st, r) for r in range(len(starts))],
                                                         dtype=np.float64)


@pytest.mark.parametrize("threads", [1, None])
def test_batches_around_the_lane_width_give_every_run_its_own_results(threads):
    """B = 1, W−1, W, W+1, 2W+3 (the padded last group; 2W+3 is three groups on threads),
    every run from its own random state with its own tokens."""
    rnn = build("boost_k2")
    ex = NativeEngine(threads=threads).compile(rnn.program, F64)
    ref = get_engine("reference").compile(rnn.program, F64)
    W = ex.width
    for B in sorted({1, max(1, W - 1), W, W + 1, 2 * W + 3}):
        starts, toks = _random_batch(rnn, B, 3, seed=B)
        want, got = _run(ref, starts, toks), _run(ex, starts, toks)
        assert_same_values(want[0], got[0], F64, 0.0, what=f"outputs at batch {B}")
        assert_same_values(want[1], got[1], F64, 0.0, what=f"node values at batch {B}")


def test_single_steps_give_the_same_values_as_whole_tokens():
    """advance_many(steps=1) with each token repeated τ times (what the recorder does)."""
    rnn = build("markov2_tau2")
    assert rnn.tau == 2
    ex = get_engine("native").compile(rnn.program, F64)
    starts, toks = _random_batch(rnn, 5, 3, seed=7)
    whole = _run(ex, starts, toks)
    steps = _run(ex, starts, np.repeat(toks, rnn.tau, axis=1), steps=1)
    assert np.array_equal(whole[1], steps[1])
    assert np.array_equal(whole[0], steps[0][:, rnn.tau - 1::rnn.tau])


# ---- IEEE specials: ReLU of NaN, −0.0 and ±inf ----------------------------------------------

def _specials_net():
    b = Builder("specials", tau=1)
    x = b.input("x")
    a = b.node("a", init=-1)
    z = b.node("z", init=0)
    big = b.node("big", init=10 ** 200)
    negzero = b.node("negzero", init=0)
    relu_negzero = b.node("relu_negzero", init=1)
    inf = b.node("inf", init=0)
    nan = b.node("nan", init=0)
    relu_nan = b.node("relu_nan", init=1)
    relu_neginf = b.node("relu_neginf", init=1)
    relu_inf = b.node("relu_inf", init=0)
    mix = b.node("mix", init=0)
    for n in (a, z, big):
        b.update(n, n * 1)
    b.update(negzero, a * z)                       # −1 · 0 = −0.0
    b.update(relu_negzero, relu(a * z))            # +0.0
    b.update(inf, big * big)                       # overflows to +inf
    b.update(nan, inf * z)                         # inf · 0 = NaN
    b.update(relu_nan, relu(inf * z))              # +0.0
    b.update(relu_neginf, relu(a * inf))           # relu(−inf) = 0
    b.update(relu_inf, relu(inf))                  # +inf
    b.update(mix, nan * 1 + relu_nan + x)          # NaN propagates through an Affine
    b.output(mix)
    b.hidden(a, z, big, negzero, relu_negzero, inf, nan, relu_nan, relu_neginf, relu_inf, mix)
    return b.build()


def test_nan_minus_zero_and_inf_propagate_through_relu_and_products_like_the_reference():
    rnn = _specials_net()
    assert_engine_matches_reference(rnn, [[0, 1, 1], [1, 0, 1]], "float64", "native", rtol=0.0,
                                    check_random_states=False)
    ex = get_engine("native").compile(rnn.program, F64)
    st, _ = ex.advance_many(ex.init_state(3), np.zeros((3, 3), dtype=np.int64), 0)
    names = rnn.program.names
    col = {nm: st[names.index(nm), :] for nm in names}
    # the reference's own float64 operations (rnnsim.arith.Float64) give the expected bits
    inf = F64.prod(1e200, 1e200)
    want = {"negzero": F64.prod(-1.0, 0.0), "relu_negzero": F64.relu(F64.prod(-1.0, 0.0)),
            "inf": inf, "relu_nan": F64.relu(F64.prod(inf, 0.0)), "relu_neginf": F64.relu(F64.prod(-1.0, inf)),
            "relu_inf": F64.relu(inf)}
    for nm, v in want.items():
        assert np.array_equal(col[nm].view(np.int64), np.full(3, v).view(np.int64)), (nm, col[nm], v)
    assert np.isnan(col["nan"]).all() and np.isnan(col["mix"]).all()
    assert np.signbit(col["negzero"]).all() and not np.signbit(col["relu_negzero"]).any()


# ---- run-time errors -------------------------------------------------------------------------

def _recip_net(tau=1):
    b = Builder("r", tau=tau)
    x = b.input("x")
    k = b.node("k", init=0)
    z = b.node("z", init=1)
    b.update(k, k + 1)
    b.update(z, recip(x - k + 2))      # zero when k = x + 2: run with x=1 fails later
    b.output(z)
    return b.build()


def _recip_errors(rnn, docs):
    """The ReciprocalOfZero that the reference and the native engine raise on ``docs``."""
    errs = []
    for eng in ("reference", "native"):
        with pytest.raises(ReciprocalOfZero) as ei:
            rnnsim.simulate_batch(rnn, docs, "float64", engine=eng)
        errs.append(ei.value)
    return errs


def test_reciprocal_of_zero_reports_the_earliest_token_then_the_lowest_run_across_groups():
    rnn = _recip_net()
    W = get_engine("native").compile(rnn.program, F64).width
    # run 0 fails only at t = 3; runs W and W+1 (another lane group) at t = 2
    docs = np.ones((W + 2, 4), dtype=np.int64)
    docs[W:] = 0
    ref, got = _recip_errors(rnn, docs)
    assert (got.node, got.time, str(got)) == (ref.node, ref.time, str(ref))
    assert (got.node, got.time) == ("z", 2)


def test_a_lane_group_runs_to_the_end_of_the_token_so_the_lowest_failing_run_is_named():
    """τ = 2, runs 0 and 1 in one lane group: run 1 divides by zero at t = 2 (step 0 of
    token 1), run 0 at t = 3 (step 1 of the same token): the reference names run 0."""
    rnn = _recip_net(tau=2)
    docs = np.array([[1, 1, 1], [0, 0, 0]], dtype=np.int64)
    ref, got = _recip_errors(rnn, docs)
    assert str(got) == str(ref)
    assert (got.node, got.time) == ("z", 3)


def test_reciprocal_of_zero_in_one_step_names_the_node_first_in_node_order():
    """Two Recips of zero in the same step, updated in the opposite of node order."""
    b = Builder("two", tau=1)
    x = b.input("x")
    p = b.node("p", init=1)
    q = b.node("q", init=1)
    b.update(q, recip(x - 1))
    b.update(p, recip(2 * x - 2) + 1)
    b.output(q)
    rnn = b.build()
    docs = np.array([[0, 0], [0, 1], [0, 1]], dtype=np.int64)
    ref, got = _recip_errors(rnn, docs)
    assert str(got) == str(ref)
    assert (got.node, got.time) == ("p", 1)
    # the lowering emits p's operations first; the rule must not rest on that: run a plan
    # with q's operations (affine, recip) moved before p's
    import dataclasses

    from rnnsim.engines.native_engine import NativeExecutor
    plan = NativeEngine().plan(rnn.program, F64)
    assert [int(a) for a in plan.aux] == [1, 1, 1, 2, 2]          # p = node 1, q = node 2
    perm = [3, 4, 0, 1, 2]
    moved = dataclasses.replace(plan, ops=np.ascontiguousarray(plan.ops[:, perm]), aux=plan.aux[perm],
                                kconst=plan.kconst[perm], terminal=plan.terminal[perm])
    ex = NativeExecutor(rnn.program, F64, moved)
    with pytest.raises(ReciprocalOfZero) as ei:
        ex.advance_many(ex.init_state(3), docs, 0)
    assert str(ei.value) == str(ref)
    ok = np.zeros((2, 3), dtype=np.int64)                         # no zero: the moved plan computes the same
    want = rnnsim.simulate_batch(rnn, ok, "float64", engine="reference", raw=True)
    assert np.array_equal(ex.advance_many(ex.init_state(2), ok, 0)[1], want)


def test_a_failing_run_keeps_its_start_state():
    rnn = _recip_net()
    ex = get_engine("native").compile(rnn.program, F64)
    B = ex.width + 1                     # run B−1 sits alone in a padded group
    st = ex.init_state(B)
    st, _ = ex.advance_many(st, np.ones((B, 1), dtype=np.int64), 0)
    before = np.array(st, copy=True)
    toks = np.ones((B, 3), dtype=np.int64)
    toks[B - 1] = 0                      # this run divides by zero at t = 2
    with pytest.raises(ReciprocalOfZero, match="node 'z' at time 2"):
        ex.advance_many(st, toks, 1)
    assert np.array_equal(st[:, B - 1], before[:, B - 1])


# ---- formats refused, compiler missing or failing, the disk cache ----------------------------

def test_native_refuses_fixed_and_exact_formats_with_a_clear_message():
    p = _recip_net().program
    with pytest.raises(UnsupportedFormat) as ei:
        select_engine(p, Fixed(4, 8), "native")
    assert str(ei.value) == ("engine 'native' runs float64 only, not fixed:4:8; fixed formats run on "
                             "engine='numba' (engine='auto' picks it)")
    with pytest.raises(UnsupportedFormat) as ei:
        rnnsim.simulate_batch(_recip_net(), [[0, 1]], "exact", engine="native")
    assert str(ei.value) == ("engine 'native' runs float64 only, not exact; exact arithmetic runs on "
                             "engine='reference' (engine='auto' picks it)")
    assert select_engine(p, F64, "native").name == "native"     # float64, just inside


def test_auto_never_picks_native():
    p = _recip_net().program
    for batch in (1, 16, 10 ** 6):
        assert select_engine(p, F64, "auto", batch=batch, work=10 ** 9).name != "native"


def test_without_a_compiler_native_is_unavailable(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNSIM_CC", str(tmp_path / "no-such-cc"))
    assert available_engines()["native"] == ("no C compiler found (engine 'native' compiles with gcc or cc; "
                                             "RNNSIM_CC names another)")
    with pytest.raises(UnsupportedFormat) as ei:
        rnnsim.simulate_batch(_recip_net(), [[0, 1]], "float64", engine="native")
    assert str(ei.value) == ("engine 'native' is not available here: no C compiler found (engine 'native' "
                             "compiles with gcc or cc; RNNSIM_CC names another)")


def test_a_failing_compiler_is_named_with_the_start_of_its_messages(monkeypatch, tmp_path):
    cc = tmp_path / "badcc"
    cc.write_text("#!/bin/sh\nif [ \"$1\" = --version ]; then echo badcc 1.0; exit 0; fi\n"
                  "echo 'kernel.c:1: error: no vectors today' >&2\nexit 3\n")
    cc.chmod(0o755)
    monkeypatch.setenv("RNNSIM_CC", str(cc))
    monkeypatch.setenv("RNNSIM_NATIVE_CACHE", str(tmp_path / "cache"))
    with pytest.raises(EngineUnavailable) as ei:
        native_engine.build_library("int rnn_run(void) { return 0; }\n", ())
    assert str(ei.value) == (f"engine 'native': the C compiler {cc} failed (exit status 3):\n"
                             "kernel.c:1: error: no vectors today")


def test_an_unwritable_cache_directory_is_named(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("RNNSIM_NATIVE_CACHE", str(blocker / "cache"))
    with pytest.raises(EngineUnavailable, match=r"engine 'native' cannot write its cache directory .*file/cache .*"
                       r"set RNNSIM_NATIVE_CACHE to a writable directory"):
        native_engine.build_library("int rnn_run(void) { return 1; }\n", ())


def test_compiled_libraries_are_cached_on_disk_and_reused(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNSIM_NATIVE_CACHE", str(tmp_path))
    src = "int rnn_run(void) { return 7; }\n"
    native_engine.build_library(src, ())
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].suffix == ".so"      # no temporary left behind
    mtime = files[0].stat().st_mtime_ns
    monkeypatch.setattr(native_engine, "_LIBS", {})
    calls = []
    real_run = native_engine.subprocess.run
    monkeypatch.setattr(native_engine.subprocess, "run", lambda *a, **k: calls.append(a) or real_run(*a, **k))
    assert native_engine.build_library(src, ()).rnn_run() == 7
    assert [c for c in calls if "--version" not in c[0]] == [] and files[0].stat().st_mtime_ns == mtime
    native_engine.build_library(src, ("-DOTHER_FLAGS",))      # other flags: another file
    assert len(list(tmp_path.iterdir())) == 2


# ---- the boosted network of the benchmark (compiles for seconds) ------------------------------

@pytest.mark.slow
def test_native_equals_numba_bit_for_bit_on_iterate_round_3():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from verify_cases import iterate_case

    net, _, _ = iterate_case(3)
    docs = rnnsim.all_documents(2, 3)
    a = rnnsim.simulate_batch(net, docs, "float64", engine="numba", raw=True)
    b = rnnsim.simulate_batch(net, docs, "float64", engine="native", raw=True)
    assert np.array_equal(a.view(np.int64), b.view(np.int64))
    assert_engine_matches_reference(net, docs[:2], "float64", "native", rtol=0.0, check_trace=False)


@pytest.mark.parametrize("name", sorted(CASES))
def test_native_outputs_and_states_are_numbas_bit_for_bit(name):
    """Not only equal values: the same bits (the sign of zeros included) as numba, whose
    float64 operations are the reference's."""
    rnn = build(name)
    N = min(CASES[name].N, 5)
    got = rnnsim.simulate_all(rnn, N, "float64", "native", raw=True, dedup=False)
    want = rnnsim.simulate_all(rnn, N, "float64", "numba", raw=True, dedup=False)
    assert got.tobytes() == want.tobytes()
    docs = rnnsim.all_documents(rnn.alphabet, N)
    states = []
    for engine in ("native", "numba"):
        ex = get_engine(engine).compile(rnn.program, F64)
        st, _ = ex.advance_many(ex.init_state(len(docs)), docs, 0)
        states.append(np.asarray(st).tobytes())
    assert states[0] == states[1]


def test_an_unwritable_home_falls_back_to_the_temporary_directory(monkeypatch, tmp_path):
    """Without RNNSIM_NATIVE_CACHE the cache goes to ~/.cache/rnnsim/native, or to
    <tmp>/rnnsim-native-<uid> where the home cannot be written; a directory named by the
    variable is used as given."""
    import os
    import tempfile
    from pathlib import Path

    monkeypatch.delenv("RNNSIM_NATIVE_CACHE", raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: home))
    assert native_engine.cache_dir() == home / ".cache" / "rnnsim" / "native"
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the home directory should be")
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: blocked))
    assert native_engine.cache_dir() == Path(tempfile.gettempdir()) / f"rnnsim-native-{os.getuid()}"
    monkeypatch.setenv("RNNSIM_NATIVE_CACHE", str(blocked / "x"))
    assert native_engine.cache_dir() == blocked / "x"


def test_a_temporary_cache_of_another_user_is_refused(monkeypatch, tmp_path):
    import os
    import tempfile
    from pathlib import Path

    monkeypatch.delenv("RNNSIM_NATIVE_CACHE", raising=False)
    blocked = tmp_path / "blocked"
    blocked.write_text("no home")
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: blocked))
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    other = os.getuid() + 4242
    monkeypatch.setattr(os, "getuid", lambda: other)             # the directory we make is not "theirs"
    with pytest.raises(EngineUnavailable) as ei:
        native_engine.cache_dir()
    assert str(ei.value) == (f"engine 'native': {tmp_path / f'rnnsim-native-{other}'} belongs to another user; "
                             "set RNNSIM_NATIVE_CACHE to a directory of your own")
