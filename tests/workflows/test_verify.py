"""The verification engine (workflows.verify): every output on every document against the
expected conditionals, sharded by document prefix; the report does not depend on the shard
depth, the backend or the number of workers, and a lost worker is retried and reported."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

import rnnsim
from constructions import boosting, models
from proofs_checks import boost as pboost
from proofs_checks.lm import LM
from rnnsim.errors import InputError
from rnnsim.strings import nth_string
from workflows import verify as V
from workflows.packing import _PackedLM, shippable

pytestmark = pytest.mark.lemma("Lemma 2", "Lemma 3")

TABLE = [Fraction(1, 3), Fraction(3, 4)]
PATTERNS = ["00", "11"]


def boosted(N=7, k=2, r=1, factor=None, eta=0.4):
    lm = models.markov_lm(1, TABLE)
    D = models.pattern_distinguisher(k, PATTERNS)
    kw = dict(factor=factor) if factor is not None else dict(eta=eta)
    net = boosting.boost(lm, D, k=k, r=r, N=N, **kw)
    ql = pboost.boosted_conditional(models.markov_q(1, TABLE), models.pattern_d(k, PATTERNS),
                                    k=k, r=r, N=N, b=2, **kw)
    return net, ql


def old_path(net, ql, N, arithmetic="float64"):
    """What the demo did before: simulate_all, the Lemma 2 table, the largest |difference|."""
    out = rnnsim.simulate_all(net, N, arithmetic, engine="auto")
    want = LM.from_callable(ql, 2, N).to_float().outputs()
    err = np.abs(out - want)
    d, i = np.unravel_index(int(np.argmax(err)), err.shape)
    return out, float(err.max()), nth_string(int(d), N, 2), int(i) + 1


@pytest.fixture(scope="module")
def case():
    net, ql = boosted()
    return net, ql, V.verify(net, ql, 7, workers=1, shard_depth=0, keep_outputs=True, progress=False)


def test_report_equals_the_old_exhaustive_check(case):
    net, ql, rep = case
    out, err, doc, pos = old_path(net, ql, 7)
    assert rep.ok and rep.max_error == err and rep.max_error <= 1e-12
    assert (rep.worst_document, rep.worst_position) == (doc, pos)
    assert np.array_equal(rep.outputs, out)
    assert rep.documents == 128 and rep.outputs_checked == sum(2 ** m for m in range(1, 8))
    assert rep.shards == 1 and rep.retries == 0 and rep.backend == "inline"


@pytest.mark.parametrize("depth", [1, 3, 6])
def test_every_shard_depth_gives_the_same_report(case, depth):
    net, ql, rep = case
    got = V.verify(net, ql, 7, workers=1, shard_depth=depth, keep_outputs=True, progress=False)
    assert got.result() == rep.result()
    assert got.shards == 2 ** depth and got.shard_depth == depth
    assert np.array_equal(got.outputs, rep.outputs)


def test_a_wrong_network_fails_at_the_first_worst_document():
    """The Markov network checked against another LM: the worst error is found where an
    independent computation says, and the verdict is a failure."""
    N = 6
    net = models.markov_lm(1, TABLE)
    other = models.markov_q(1, [Fraction(1, 3), Fraction(2, 3)])
    rep = V.verify(net, other, N, workers=1, shard_depth=2, progress=False)
    assert not rep.ok
    errs = {}
    for d in range(2 ** N):
        x = nth_string(d, N, 2)
        for i in range(1, N + 1):
            mine = models.markov_q(1, TABLE)(x[:i - 1])[x[i - 1]]
            errs[(d, i)] = abs(float(mine) - float(other(x[:i - 1])[x[i - 1]]))
    top = max(errs.values())
    d, i = min(key for key, e in errs.items() if e == top)
    assert rep.max_error == pytest.approx(top, abs=1e-15)
    assert (rep.worst_document, rep.worst_position) == (nth_string(d, N, 2), i)
    assert float(rep.worst_expected) == pytest.approx(float(other(rep.worst_document[:i - 1])[rep.worst_document[i - 1]]))


def test_exact_arithmetic_is_equality():
    net, ql = boosted(N=5, factor=Fraction(1, 2))
    rep = V.verify(net, ql, 5, arithmetic="exact", shard_depth=2, progress=False)
    assert rep.ok and rep.max_error == 0 and rep.tol == 0 and rep.engine == "reference"
    # one changed conditional is found exactly
    tab = LM.from_callable(ql, 2, 5)
    lv = tab.levels[3].copy()
    lv[5] = [lv[5][0] + Fraction(1, 1000), lv[5][1] - Fraction(1, 1000)]
    bad = LM(tab.levels[:3] + [lv] + tab.levels[4:], 2)
    rep = V.verify(net, bad, 5, arithmetic="exact", shard_depth=1, progress=False)
    assert not rep.ok and rep.max_error == Fraction(1, 1000)
    assert rep.worst_document == nth_string(5, 3, 2) + (0, 0) and rep.worst_position == 4


def test_nan_outputs_count_as_infinite_error():
    net = models.markov_lm(1, TABLE)

    def q(prefix):
        return (math.nan, math.nan) if len(prefix) == 2 else models.markov_q(1, TABLE)(prefix)
    rep = V.verify(net, q, 4, shard_depth=1, progress=False)
    assert not rep.ok and rep.max_error == math.inf and rep.worst_position == 3


def test_exact_tables_are_shipped_packed_and_unpack_to_the_same_rows():
    import pickle

    import cloudpickle

    N = 12
    q = LM.from_callable(models.markov_q(1, TABLE), 2, N)
    ql = pboost.boosted_conditional(pboost.boosted_conditional(q, models.pattern_d(2, PATTERNS), k=2, r=1,
                                                               eta=0.3, N=N), models.pattern_d(1, ["1"]),
                                    k=1, r=1, factor=Fraction(1, 2), N=N)
    blob = cloudpickle.dumps(shippable(ql))
    assert len(_PackedLM(q).args[1]) == 4                # four distinct Fractions in 2^12 rows
    assert len(blob) < len(pickle.dumps(q)) // 4
    back = pickle.loads(blob)
    assert isinstance(back.q.q, LM) and back.q.q.exact
    for m in (0, 5, N - 1):
        assert all(a == c and type(a) is type(c) for a, c in zip(back.q.q.levels[m].reshape(-1), q.levels[m].reshape(-1)))
        assert (back.rows(m, 0, 2 ** m) == ql.rows(m, 0, 2 ** m)).all()


def test_packing_keeps_tables_with_many_distinct_values():
    import cloudpickle

    rng = np.random.default_rng(3)
    q = LM.from_weights([rng.integers(1, 10 ** 6, size=2 ** (m + 1)) for m in range(10)], 2)
    assert len(_PackedLM(q).args[1]) > 256
    back = cloudpickle.loads(cloudpickle.dumps(shippable(q)))
    assert all((a == c).all() for a, c in zip(back.levels, q.levels))


def test_bad_arguments_are_clear_errors():
    net, ql = boosted(N=5)
    with pytest.raises(ValueError, match="N"):
        V.verify(net, ql, 0)
    with pytest.raises(ValueError, match="shard depth"):
        V.verify(net, ql, 5, shard_depth=5)
    with pytest.raises(ValueError, match="N≥6"):
        V.verify(net, LM.uniform(2, 5), 6)
    with pytest.raises(InputError, match="expected"):
        V.verify(net, 3, 5)


def test_plan_depth_bounds_shard_sizes():
    assert V.plan_depth(2, 6, 1) == 0 and V.plan_depth(2, 6, 2) == 1
    for N in (12, 18, 20, 24):
        for w in (1, 2, 8):
            D = V.plan_depth(2, N, w)
            assert 2 ** (N - D) <= V.MAX_SHARD_DOCS and 2 ** D >= w
            if w > 1 and 2 ** (N - D) > V.MIN_SHARD_DOCS:
                assert 2 ** D >= 4 * w or 2 ** (N - D - 1) < V.MIN_SHARD_DOCS


# ---- processes and Dask ---------------------------------------------------------------------------

def test_local_processes_give_the_same_report_and_a_killed_worker_is_retried(case, tmp_path):
    net, ql, rep = case
    got = V.verify(net, ql, 7, workers=2, shard_depth=2, progress=False,
                   _fault={"shard": 1, "action": "exit", "marker": str(tmp_path / "killed")})
    assert (tmp_path / "killed").exists()
    assert got.result() == rep.result()
    assert got.backend == "processes" and got.workers == 2 and got.shards == 4
    assert got.retries >= 1 and got.lost_workers == 1 and "died" in got.events[0]


def test_dask_local_cluster_gives_the_same_report_and_reports_a_lost_worker(case, tmp_path):
    distributed = pytest.importorskip("distributed")
    net, ql, rep = case
    # in-process workers (fast to start) but over TCP, so the job is serialized as on a real cluster
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp://",
                                  dashboard_address=None) as cluster:
        got = V.verify(net, ql, 7, scheduler=cluster.scheduler_address, shard_depth=2, progress=False)
        assert got.result() == rep.result()
        assert got.backend.startswith("dask tcp://") and got.workers == 2 and got.retries == 0
        lost = V.verify(net, ql, 7, scheduler=cluster.scheduler_address, shard_depth=2, progress=False,
                        _fault={"shard": 2, "action": "close_worker", "marker": str(tmp_path / "closed")})
    assert (tmp_path / "closed").exists()
    assert lost.result() == rep.result()
    assert lost.retries >= 1 and lost.lost_workers >= 1


def test_demo_checks_with_the_engine_on_worker_processes():
    """``rnnsim demo --workers 2``: the same numbers as the in-process check."""
    from workflows import demo

    one = demo.run(6, 2, delta=None, workers=1)
    two = demo.run(6, 2, delta=None, workers=2)
    assert one.failures == two.failures == []
    assert two.numbers["verify"]["backend"] == "processes" and two.numbers["verify"]["shards"] >= 2
    for key in ("max_abs_error", "kl_after", "loss_after"):
        assert one.numbers[key] == two.numbers[key]
    assert one.numbers["verify"]["worst_document"] == two.numbers["verify"]["worst_document"]


def test_auto_workers_follows_the_cost_model(monkeypatch):
    monkeypatch.setattr(V, "default_workers", lambda: 2)
    assert V.auto_workers(2, 6, 1e12, "numba") == 1          # 64 documents: the tree stays here
    assert V.auto_workers(2, 20, 1e6, "numba") == 1          # cheap network: reference rows dominate either way
    assert V.auto_workers(2, 18, 1.5e9, "reference") == 1
    monkeypatch.setattr(V, "default_workers", lambda: 16)
    # 16 cores: numba already uses them all in-process; workers pay when the Python rows
    # (one core in-process) dominate — many documents, a cheap network
    assert V.auto_workers(2, 20, 1e11, "numba") == 1
    assert V.auto_workers(2, 24, 1e10, "numba") == 16


def test_an_unreachable_scheduler_is_a_clear_error(monkeypatch):
    pytest.importorskip("distributed")
    from workflows import sharding

    monkeypatch.setattr(sharding, "CONNECT_TIMEOUT_S", 1)
    net, ql = boosted(N=4)
    with pytest.raises(ValueError, match="cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'"):
        V.verify(net, ql, 4, scheduler="tcp://127.0.0.1:9", progress=False)


def test_an_error_of_the_computation_is_raised_not_retried(tmp_path):
    """A shard that raises (here: the expected conditionals are undefined) is not a lost
    worker: the error comes back unchanged, on every backend."""
    net = models.markov_lm(1, TABLE)

    def q(prefix):
        if len(prefix) == 3:
            raise ZeroDivisionError(f"q'(·|{tuple(prefix)}) is undefined")
        return models.markov_q(1, TABLE)(prefix)
    for workers in (1, 2):
        with pytest.raises(ZeroDivisionError, match="undefined"):
            V.verify(net, q, 5, workers=workers, shard_depth=2, progress=False)


def test_progress_bar_counts_shards(capsys):
    net, ql = boosted(N=5)
    V.verify(net, ql, 5, workers=1, shard_depth=2, progress=True)
    err = capsys.readouterr().err
    assert "verify" in err and "0/4" in err and "shard/s" in err     # a bar over the 4 shards


def test_fixed_point_outputs_are_compared_as_their_values():
    """A fixed format: the engine's raw integers are read as value·2^−f; the largest error is
    that of simulate_all's outputs against the exact conditionals."""
    N, fmt = 6, "fixed:2:12"
    net = models.markov_lm(1, TABLE)
    rep = V.verify(net, models.markov_q(1, TABLE), N, arithmetic=fmt, tol=2.0 ** -12, shard_depth=2,
                   progress=False)
    out = rnnsim.simulate_all(net, N, fmt)
    want = LM.from_callable(models.markov_q(1, TABLE), 2, N).to_float().outputs()
    assert rep.max_error == float(np.abs(out - want).max()) > 0
    assert rep.ok and rep.max_error <= 2.0 ** -12


def test_auto_reruns_on_the_reference_when_a_compiled_engine_cannot_go_on(monkeypatch):
    """As simulate_all: under engine="auto" an EngineRangeExceeded of the compiled engine makes
    the whole check rerun on the reference (with a warning); a named engine raises it."""
    from rnnsim.errors import EngineRangeExceeded

    N = 10                                   # 2·10^6 node-updates: "auto" chooses the compiled engine
    net, q = boosted(N=N)
    real = V._shard

    def flaky(job, arg):
        if job.engine != "reference":
            raise EngineRangeExceeded("node 'q' at time 3: a value needs 130 bits", node="q", time=3, bits=130)
        return real(job, arg)
    monkeypatch.setattr(V, "_shard", flaky)
    with pytest.warns(RuntimeWarning, match="rerunning on the reference"):
        rep = V.verify(net, q, N, workers=1, progress=False)
    assert rep.engine == "reference" and rep.ok
    with pytest.raises(EngineRangeExceeded):
        V.verify(net, q, N, engine="numba", workers=1, progress=False)


def test_rnn_time_beyond_the_engines_count_is_refused():
    net, ql = boosted(N=5)
    with pytest.raises(InputError, match="RNN-time"):
        V.verify(net, ql, 2 ** 62, progress=False)
