"""Exhaustive verification of an LM network: every output on every document of Σ^N against the
expected next-token conditionals (THEORY §2.6 and §6; Lemma 2 when the expectation is a
boosted LM), sharded by document prefix.

**What is checked.** An LM RNN R computes q_R when v_{iτ}(o) = q_R(x_i | x_{<i}) for every
document x ∈ Σ^N and every i ≤ N (THEORY §2.6). :func:`verify` runs R on all b^N documents
and compares every output with the expected q(x_i | x_{<i}) — ``expected`` is a table
(:class:`proofs_checks.lm.LM`), a :class:`proofs_checks.boost.BoostedLM` (Lemma 2's chain,
its rows computed per block prefix) or any callable ``q(prefix) -> b probabilities`` — and
returns a :class:`VerifyReport`: the verdict (largest error ≤ ``tol``), the largest error,
the document and position where it occurs (the first document in Σ^N order, then the first
position), the number of documents and outputs checked, and how the work was split.
Errors are |R − q| in float64 (``float64`` and fixed formats: the engine's output as a
float, the expectation rounded once to float64) or exact (``exact`` arithmetic, tol = 0 by
default: equality).

**How.** Documents share prefixes: the outputs after x_{≤m} are those of every document
beginning with x_{≤m}, so the network runs as a prefix tree — level m is a batch of b^m runs,
each forked into b children for the next token — and each node of the tree is compared once
with its expected conditional. The tree is cut at depth D: this process runs levels 1…D (b^D
runs at most), and each of the b^D *shards* (the documents beginning with one prefix of
length D) continues from its prefix's state — on this process, on local worker processes
or on a Dask cluster (:mod:`workflows.sharding`) — computes the expected rows of its own
prefixes only, and returns its largest error. Memory per shard is O(b^{N−D}); the outputs
of all documents are never held at once unless ``keep_outputs=True``. The verdict, the
largest error and the worst document are identical for every D, backend and number of
workers (deterministic merge: largest error, then first document, then first position).

Distinct runs only (:mod:`rnnsim.prefix_tree`): after every level, runs whose node values
are identical bit for bit are merged, since the program is a function of (state, token).
Networks whose state depends on a bounded suffix of the prefix then run ~b·(number of
states) runs per level instead of b^m: the demo's N = 20 check advances 5 630 runs by one
token instead of 2.1·10^6 (``runs_simulated`` in the report; ``dedup=False`` runs every prefix).

Batch strategy (measured, see benchmarks/README.md): the prefix tree does the least work
and the fewest kernel calls (one per level); at batch < 64 numba is bound by its
per-operation cost, not by the batch, so a full batch of documents is not faster there
(iterate round 4, N = 6: tree 9.0 s, full batch 15.0 s), and under ``engine="auto"`` long
dispatch-bound trees run on the ``native`` engine (:func:`tree_wants_native`; iterate round 5:
4.3 s against 76 s). Shards hold at most 2^16 documents (at least 4 per worker while they
keep 2^10, at least one per worker). Where they run: in this process unless worker processes
are clearly faster (:func:`auto_workers`; on 2 cores numba's threads already share the
simulation and a worker costs ~2 s to start).

``verify(net, expected, N, *, arithmetic="float64", tol=None, engine="auto", workers=None,
scheduler=None, shard_depth=None, progress=None, keep_outputs=False, dedup=True) -> VerifyReport``
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from dataclasses import dataclass, field, fields
from fractions import Fraction
from typing import Any

import numpy as np

from proofs_checks.boost_blocks import raw_rows
from proofs_checks.lm import LM
from rnnsim.arith import Exact, Fixed, Float64, parse_arithmetic
from rnnsim.engines import get_engine, select_engine
from rnnsim.engines.base import raw_to_exact, raw_to_float
from rnnsim.errors import EngineRangeExceeded, EngineUnavailable, InputError, UnsupportedFormat
from rnnsim.simulate import check_length
from rnnsim.strings import nth_string

from rnnsim.prefix_tree import advance_level
from .packing import shippable
from .sharding import default_workers, run_shards

__all__ = ["VerifyReport", "verify", "plan_depth", "auto_workers", "tree_wants_native", "MAX_SHARD_DOCS",
           "MIN_SHARD_DOCS"]

MAX_SHARD_DOCS = 2 ** 16     # documents per shard at most (memory: ~N·8 bytes each, plus the runs)
MIN_SHARD_DOCS = 2 ** 10     # below this a shard's per-level kernel calls cost more than its runs
FLOAT_TOL = 1e-9
# the auto worker choice (measured on the 2-core machine, demo network N = 18: in-process
# 4.2 s CPU / 6 s wall, two processes 8 s CPU / 12–15 s wall, the difference being the start)
RATE = 3e8                   # node-updates/s of the compiled engine per core
REF_S_PER_DOC = 3e-6         # expected rows + comparison, seconds per document (Python, one core)
START_S = 2.0                # starting a worker: interpreter, numpy, numba, the kernel, the plan
DASK_PLAN_WORKERS = 16       # a cluster's size is not known before connecting: shard for 16 workers
# when "auto" runs the tree on the native engine (measured: iterate k = 2 round 5, 478 nodes,
# τ = 211 110: numba ~7 s per token at batch 1–16 ≈ 7e-8 s per node-step; native ~0.6–1.6 s;
# compiling ~1.2e-2 s per node, once per machine: 4.5–6.3 s for round 5)
NUMBA_SMALL_BATCH_S = 7e-8   # s per node-step of one level at batches ≤ 16 (per-operation dispatch)
NATIVE_SPEEDUP = 8.0         # native over numba at those batches (measured 5–26×)
NATIVE_COMPILE_S = 1.2e-2    # s per node to compile


@dataclass
class VerifyReport:
    ok: bool
    max_error: Any                       # float, or a Fraction in exact arithmetic
    tol: Any
    worst_document: tuple | None         # the first document with the largest error
    worst_position: int | None           # i (1-based) in that document
    worst_output: Any
    worst_expected: Any
    N: int
    b: int
    documents: int                       # b^N
    outputs_checked: int                 # distinct (prefix, next output) pairs: Σ_m b^m
    arithmetic: str
    engine: str
    shard_depth: int
    shards: int
    backend: str
    workers: int
    retries: int
    lost_workers: int
    runs_simulated: int = 0              # runs advanced by one token, over the whole tree
    events: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    outputs: np.ndarray | None = field(default=None, repr=False)

    def result(self) -> tuple:
        """What must not depend on sharding: verdict, largest error, worst document/position."""
        return (self.ok, self.max_error, self.worst_document, self.worst_position, self.worst_output,
                self.worst_expected, self.documents, self.outputs_checked)

    def summary(self) -> str:
        where = (f" at x = {''.join(map(str, self.worst_document))}, i = {self.worst_position}"
                 if self.worst_document is not None else "")
        verdict = "ok" if self.ok else "FAILED"
        return (f"{verdict}: max |R − q| = {_fmt(self.max_error)}{where} (tol {_fmt(self.tol)}) over "
                f"{self.documents} documents; {self.shards} shard(s) on {self.backend} "
                f"({self.workers} worker(s), {self.retries} retried), {self.timings.get('total', 0):.2f} s")

    def as_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "outputs"}
        for key in ("max_error", "tol", "worst_output", "worst_expected"):
            v = d[key]
            d[key] = float(v) if isinstance(v, Fraction) else v
            if isinstance(v, Fraction):
                d[key + "_exact"] = str(v)
        return d


def _fmt(v) -> str:
    return f"{float(v):.3e}" if v is not None else "—"


# ---- the plan ------------------------------------------------------------------------------------

def plan_depth(b: int, N: int, workers: int) -> int:
    """Shard depth D: shards of ≤ MAX_SHARD_DOCS documents; at least 4 per worker while they
    keep ≥ MIN_SHARD_DOCS documents; at least one per worker; D ≤ N − 1."""
    D = 0
    while b ** (N - D) > MAX_SHARD_DOCS:
        D += 1
    while workers > 1 and b ** D < 4 * workers and b ** (N - D - 1) >= MIN_SHARD_DOCS:
        D += 1
    while b ** D < workers and D < N - 1:
        D += 1
    return min(D, max(0, N - 1))


def auto_workers(b: int, N: int, work: float, engine: str) -> int:
    """1 (this process: numba runs the batch on all cores; the expected rows and the comparison
    run on one) or all cores as worker processes, whichever the cost model says is clearly
    faster: in-process ≈ work/(RATE·cores) + ref, processes ≈ START_S + (work/RATE + ref)/cores,
    ref = REF_S_PER_DOC·b^N; processes also need ≥ MIN_SHARD_DOCS documents per core."""
    cores = default_workers()
    if cores < 2 or engine != "numba" or b ** N < cores * MIN_SHARD_DOCS:
        return 1
    ref = REF_S_PER_DOC * b ** N
    inline = work / (RATE * cores) + ref
    procs = START_S + (work / RATE + ref) / cores
    return cores if procs < 0.8 * inline else 1


def tree_wants_native(net, arith, chosen: str, N: int) -> bool:
    """Under ``engine="auto"``: run the tree on the native engine (per-network C) instead of
    numba when the levels are dispatch-bound — a long step (τ·|R| node-updates per token) and
    few runs per level — so that numba's estimate, N levels × τ·|R| × NUMBA_SMALL_BATCH_S,
    exceeds native's (that / NATIVE_SPEEDUP + compiling, |R| × NATIVE_COMPILE_S) by a clear
    margin. Needs float64 and a C compiler; the verdict and errors do not depend on it (the
    engines are bit-identical)."""
    if chosen != "numba" or not isinstance(arith, Float64):
        return False
    numba_s = N * net.tau * net.size * NUMBA_SMALL_BATCH_S
    native_s = numba_s / NATIVE_SPEEDUP + net.size * NATIVE_COMPILE_S
    if native_s > 0.5 * numba_s:
        return False
    try:
        native = get_engine("native")
        if native.available():
            return False
        native.check(net.program, arith)
    except UnsupportedFormat:
        return False
    return True


@dataclass
class _Job:
    """Everything a shard needs (pickled once, sent once per worker)."""

    net: Any
    expected: Any
    N: int
    b: int
    arith: Any
    engine: str
    D: int
    keep: bool
    dedup: bool = True

    @property
    def exact(self) -> bool:
        return isinstance(self.arith, Exact)


_EXECUTORS: dict = {}


def _executor(job: _Job):
    key = (id(job.net), job.engine, repr(job.arith))
    if key not in _EXECUTORS:
        _EXECUTORS.clear()
        _EXECUTORS[key] = (job.net, get_engine(job.engine).compile(job.net.program, job.arith))
    return _EXECUTORS[key][1]


# ---- comparing one level of the tree ---------------------------------------------------------------

class _Worst:
    """The running maximum: (error, document index, position, output, expected)."""

    def __init__(self):
        self.best = None

    def offer(self, err, doc: int, pos: int, out, want) -> None:
        cand = (err, doc, pos, out, want)
        if self.best is None or _better(cand, self.best):
            self.best = cand


def _better(a, c) -> bool:
    return a[0] > c[0] or (a[0] == c[0] and (a[1], a[2]) < (c[1], c[2]))


def _compare_level(job: _Job, worst: _Worst, raw_out, m: int, lo: int) -> Any:
    """Outputs after the prefixes of length m with index lo … lo+len−1 (the tree's level m)
    against q(x_m | x_<m); returns the outputs as float64 (or exact) values."""
    b, N = job.b, job.N
    n = len(raw_out)
    rows = raw_rows(job.expected, m - 1, lo // b, (lo + n) // b, b)
    if job.exact:
        out = raw_to_exact(raw_out, job.arith)
        want = np.empty(n, dtype=object)
        want[:] = [v if isinstance(v, (int, Fraction)) else Fraction(float(v)) for v in rows.reshape(-1)]
        err = np.abs(out - want)
        i = max(range(n), key=lambda t: (err[t], -t))
        e = Fraction(err[i])
    else:
        out = raw_to_float(raw_out, job.arith) if isinstance(job.arith, Fixed) else np.asarray(raw_out, np.float64)
        want = np.asarray(rows, dtype=np.float64).reshape(-1)
        err = np.abs(out - want)
        err[np.isnan(err)] = math.inf
        i = int(np.argmax(err))
        e = float(err[i])
    worst.offer(e, (lo + i) * b ** (N - m), m, out[i] if job.exact else float(out[i]),
                want[i] if job.exact else float(want[i]))
    return out


# ---- the shard -------------------------------------------------------------------------------------

def _advance_level(job: _Job, ex, state, idx: np.ndarray, m: int, timing: dict):
    t = time.perf_counter()
    state, idx, out, runs = advance_level(ex, state, idx, job.b, (m - 1) * job.net.tau, dedup=job.dedup)
    timing["runs"] = timing.get("runs", 0) + runs
    timing["simulate"] = timing.get("simulate", 0.0) + time.perf_counter() - t
    return state, idx, out


def _run_levels(job: _Job, ex, state, P: int, worst: _Worst, timing: dict) -> list:
    """Levels D+1 … N below prefix P (index at depth D) from ``state`` (one run)."""
    b, N, D = job.b, job.N, job.D
    kept = []
    idx = np.zeros(1, dtype=np.int64)
    for m in range(D + 1, N + 1):
        state, idx, o = _advance_level(job, ex, state, idx, m, timing)
        t2 = time.perf_counter()
        out = _compare_level(job, worst, o, m, P * b ** (m - D))
        timing["compare"] += time.perf_counter() - t2
        if job.keep:
            kept.append(out)
    return kept


def _shard(job: _Job, arg) -> dict:
    """One shard: the documents beginning with the prefix of index P (length D)."""
    P, values = arg
    timing = {"simulate": 0.0, "compare": 0.0}
    t = time.perf_counter()
    ex = _executor(job)
    state = ex.init_state(1)
    if values is not None:
        ex.set_node_values(state, 0, values)
    timing["setup"] = time.perf_counter() - t
    worst = _Worst()
    kept = _run_levels(job, ex, state, P, worst, timing)
    return {"P": P, "worst": worst.best, "timing": timing, "kept": kept, "runs": timing.pop("runs", 0)}


# ---- the whole run -----------------------------------------------------------------------------------

def _check_expected(expected, b: int, N: int) -> None:
    if isinstance(expected, LM):
        if expected.b != b or expected.N < N:
            raise InputError(f"expected LM has b={expected.b}, N={expected.N}; the network needs b={b}, N≥{N}")
        return
    if hasattr(expected, "rows"):
        if getattr(expected, "b", b) != b or getattr(expected, "N", N) < N:
            raise InputError(f"expected conditionals have b={getattr(expected, 'b', '?')}, "
                             f"N={getattr(expected, 'N', '?')}; the network needs b={b}, N≥{N}")
        return
    if not callable(expected):
        raise InputError(f"expected must be an LM, a BoostedLM or a callable q(prefix), got {type(expected).__name__}")


def verify(net, expected, N: int, *, arithmetic="float64", tol=None, engine: str = "auto",
           workers: int | None = None, scheduler=None, shard_depth: int | None = None,
           progress: bool | None = None, keep_outputs: bool = False, dedup: bool = True,
           _fault: dict | None = None) -> VerifyReport:
    """Check ``net`` against ``expected`` on every document of Σ^N (module docstring).

    ``workers``: local processes (None: :func:`auto_workers`); ``scheduler``: a Dask scheduler address
    (``tcp://host:8786``) or a ``distributed.Client`` — shards then run on that cluster;
    ``shard_depth``: D (None: :func:`plan_depth` for ``workers``, or for DASK_PLAN_WORKERS on a
    cluster); ``tol``: largest allowed error (default
    1e-9, exact arithmetic 0); ``keep_outputs``: also return the (b^N, N) output matrix;
    ``dedup``: run identical runs once (module docstring; False runs every prefix).
    """
    if not (isinstance(N, int) and N >= 1):
        raise InputError(f"document length N must be a positive integer, got {N!r}")
    check_length(net, N)
    kw = dict(arithmetic=arithmetic, tol=tol, workers=workers, scheduler=scheduler, shard_depth=shard_depth,
              progress=progress, keep_outputs=keep_outputs, dedup=dedup, fault=_fault)
    try:
        return _verify(net, expected, N, engine=engine, **kw)
    except (EngineRangeExceeded, EngineUnavailable) as e:
        if engine != "auto":   # as simulate_all: under "auto", a compiled engine that cannot go on → reference
            raise
        warnings.warn(f"{e}; rerunning on the reference engine", RuntimeWarning, stacklevel=2)
        return _verify(net, expected, N, engine="reference", **kw)


def _verify(net, expected, N: int, *, arithmetic, tol, engine, workers, scheduler, shard_depth, progress,
            keep_outputs, dedup, fault) -> VerifyReport:
    t_start = time.perf_counter()
    b = net.alphabet
    _check_expected(expected, b, N)
    arith = parse_arithmetic(arithmetic)
    exact = isinstance(arith, Exact)
    tol = (Fraction(0) if exact else FLOAT_TOL) if tol is None else (Fraction(tol) if exact else float(tol))
    work = 2 * b ** N * net.tau * net.size
    eng = select_engine(net.program, arith, engine, batch=b ** N, work=work)
    if engine == "auto" and tree_wants_native(net, arith, eng.name, N):
        eng = get_engine("native")
    if workers is None:
        workers = auto_workers(b, N, work, eng.name) if scheduler is None else DASK_PLAN_WORKERS
    workers = max(1, int(workers))
    D = plan_depth(b, N, workers) if shard_depth is None else int(shard_depth)
    if not 0 <= D <= N - 1:
        raise InputError(f"shard depth must be in 0 … N−1 = {N - 1}, got {D}")
    job = _Job(net, expected, N, b, arith, eng.name, D, keep_outputs, dedup)

    # levels 1 … D here (the top of the tree), then one shard per prefix of length D
    t = time.perf_counter()
    try:
        ex = _executor(job)
    except EngineUnavailable as e:           # the native engine's compiler failed: numba runs it
        if job.engine != "native" or engine != "auto":
            raise
        warnings.warn(f"{e}; running on numba", RuntimeWarning, stacklevel=3)
        eng = get_engine("numba")
        job = dataclasses.replace(job, engine="numba")
        ex = _executor(job)
    state = ex.init_state(1)
    idx = np.zeros(1, dtype=np.int64)
    worst = _Worst()
    top = []
    top_timing = {"simulate": 0.0}
    for m in range(1, D + 1):
        state, idx, o = _advance_level(job, ex, state, idx, m, top_timing)
        top.append(_compare_level(job, worst, o, m, 0))
    inline = scheduler is None and workers == 1
    if D == 0:
        args = [(0, None)]
    else:
        args = [(P, ex.node_values(state, int(idx[P]))) for P in range(b ** D)]
    t_top = time.perf_counter() - t

    if not inline and len(args) > 1:
        job = dataclasses.replace(job, expected=shippable(expected))
    results, stats = run_shards(_shard, job, args, workers=1 if inline else workers, scheduler=scheduler,
                                progress=progress, desc="verify", fault=fault)
    for r in results:
        if r["worst"] is not None:
            worst.offer(*r["worst"])
    err, doc, pos, out_v, want_v = worst.best
    timings = {"top": t_top, "shards_wall": stats.wall_s}
    runs = top_timing.get("runs", 0) + sum(r["runs"] for r in results)
    for key in ("setup", "simulate", "compare"):
        timings[key] = sum(r["timing"][key] for r in results)
    timings["total"] = time.perf_counter() - t_start
    outputs = _assemble(job, top, results) if keep_outputs else None
    return VerifyReport(
        ok=bool(err <= tol), max_error=err, tol=tol, worst_document=nth_string(doc, N, b), worst_position=pos,
        worst_output=out_v, worst_expected=want_v, N=N, b=b, documents=b ** N,
        outputs_checked=sum(b ** m for m in range(1, N + 1)), arithmetic=str(arith), engine=eng.name,
        shard_depth=D, shards=len(args), backend=stats.backend, workers=stats.workers, retries=stats.retries,
        lost_workers=stats.lost_workers, runs_simulated=runs, events=stats.events, timings=timings,
        outputs=outputs)


def _assemble(job: _Job, top: list, results: list) -> np.ndarray:
    """The (b^N, N) output matrix (row = document, column m−1 = output after x_≤m)."""
    b, N, D = job.b, job.N, job.D
    out = np.empty((b ** N, N), dtype=object if job.exact else np.float64)
    for m, vals in enumerate(top, start=1):
        out[:, m - 1] = np.repeat(np.asarray(vals, dtype=out.dtype), b ** (N - m))
    span = b ** (N - D)
    for r in results:
        rows = slice(r["P"] * span, (r["P"] + 1) * span)
        for m, vals in enumerate(r["kept"], start=D + 1):
            out[rows, m - 1] = np.repeat(np.asarray(vals, dtype=out.dtype), b ** (N - m))
    return out
