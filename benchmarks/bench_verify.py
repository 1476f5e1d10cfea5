"""Exhaustive verification benchmark (issue: verification at scale): every figure beside its
baseline — the old path, simulate_all + the per-prefix Lemma 2 table + max |difference| —
in one run, with identical verdicts and worst errors checked.

    .venv/bin/python benchmarks/bench_verify.py                    # demo N=18, 20; iterate round 5
    .venv/bin/python benchmarks/bench_verify.py --quick            # demo N=14, 16; iterate round 3
    .venv/bin/python benchmarks/bench_verify.py --figures demo18 --repeats 5 --workers 2
    .venv/bin/python benchmarks/bench_verify.py --figures strategies4 cstraight5
    .venv/bin/python benchmarks/bench_verify.py --figures native5 --repeats 3

Figures:
* ``demoN``: the demo's problem (``rnnsim demo --k 3 --N N``: motif-avoiding source μ = 111,
  its best order-1 Markov fit q, the best window-3 pattern distinguisher, r*, η = α),
  boosted network R' checked in float64 on all 2^N documents against Lemma 2's q'.
  Baseline: ``simulate_all`` (numba, both cores) + ``LM.from_callable(BoostedLM)`` (the old
  ``table()``) + ``np.max(np.abs(out − want))``. New: ``workflows.verify.verify`` (prefix
  tree cut into shards on ``--workers`` local processes; expected rows per block prefix).
  The problem (q's table, patterns, r*, η) takes minutes to compute at N ≥ 18 and is cached
  in ``benchmarks/results/cache/``.
* ``iterateR``: ``boosting.iterate`` with k = 2, N = 6, R rounds, demo-style: each round the
  pattern distinguisher with the largest advantage against the current (exact) LM, r*, and
  the factor w = e^{−α} as the exact binary rational of the double (so the network and the
  exact Lemma 2 chain agree); verified in float64 against the exact nested chain.
* ``strategiesR``: batch strategies for the round-R network (time to simulate all 64
  documents): the prefix tree in one process (numba, both threads), two processes on the
  two subtrees, and a full batch of 64 documents (``simulate_batch``).
* ``cstraightR``: one token at batch 1 of the round-R network, numba interpreter versus the
  straight-line C source of ``rnnsim.engines.codegen`` compiled with gcc (an experiment for
  the engines: what per-network code would give at tiny batches).
* ``nativeR``: one token of the round-R network at batches 1, 2, 4, 8, 16, 64: the numba
  engine (all threads) versus the ``native`` engine (per-network C vectorized over lanes)
  on one thread and on all threads, with the native engine's cold compile time (an empty
  cache) and a bit-for-bit comparison of outputs and node values with numba.
Each figure is the median of ``--repeats`` runs (baseline and new interleaved, the load
average recorded around each); the JSON also keeps every run. Writes a markdown table to
stdout and ``benchmarks/results/verify-<time>.{md,json}``.
"""

from __future__ import annotations

import argparse
import copy
import ctypes
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from results_io import write_results  # noqa: E402
sys.path.insert(0, str(ROOT))

import rnnsim  # noqa: E402
from proofs_checks.lm import LM  # noqa: E402
from verify_cases import demo_case, demo_problem_fast, demo_problem_slow, iterate_case  # noqa: E402,F401  (re-exported)
from workflows.verify import verify  # noqa: E402


# ---- timing -----------------------------------------------------------------------------------

def _clock(fn):
    load0 = os.getloadavg()[0]
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    value = fn()
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
           + c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime)
    return value, {"wall": wall, "cpu": cpu, "load": [load0, os.getloadavg()[0]]}


def old_path(net, expected, N):
    """simulate_all (every prefix its own run, as it was) + the per-prefix Lemma 2 table (the old
    BoostedLM.table) + max |diff|."""
    t = time.perf_counter()
    out = rnnsim.simulate_all(net, N, "float64", engine="numba", progress=False, dedup=False)
    t_sim = time.perf_counter() - t
    want = LM.from_callable(expected, 2, N).to_float().outputs()
    t_table = time.perf_counter() - t - t_sim
    err = np.abs(out - want)
    d, i = np.unravel_index(int(np.argmax(err)), err.shape)
    return {"max_error": float(err.max()), "worst": [int(d), int(i) + 1], "simulate_s": t_sim, "table_s": t_table}


def new_path(net, expected, N, workers):
    rep = verify(net, expected, N, workers=workers, progress=False)
    doc = int("".join(map(str, rep.worst_document)), 2)
    return {"max_error": float(rep.max_error), "worst": [doc, rep.worst_position], "ok": rep.ok,
            "shards": rep.shards, "backend": rep.backend, "timings": rep.timings}


def compare(name, make, N, workers, repeats, target):
    net, old_expected, new_expected, info = make()
    rnnsim.simulate_all(net, min(N, 3), "float64", engine="numba", progress=False)   # kernel loaded
    runs = []
    for _ in range(repeats):
        fresh = copy.deepcopy(old_expected)          # no per-prefix caches left from the last run
        o, to = _clock(lambda: old_path(net, fresh, N))
        n, tn = _clock(lambda: new_path(net, new_expected, N, workers))
        runs.append({"old": {**o, **to}, "new": {**n, **tn}})
        print(f"  {name}: old {to['wall']:.1f} s, new {tn['wall']:.1f} s (load {tn['load']})", file=sys.stderr)
    same = all(r["old"]["max_error"] == r["new"]["max_error"] and r["old"]["worst"] == r["new"]["worst"]
               for r in runs)
    med = lambda side, key="wall": statistics.median(r[side][key] for r in runs)  # noqa: E731
    return {"figure": name, "N": N, "size": net.size, "tau": net.tau, "baseline_s": med("old"),
            "new_s": med("new"), "speedup": med("old") / med("new"), "target_s": target,
            "identical": same, "max_error": runs[0]["new"]["max_error"], "worst": runs[0]["new"]["worst"],
            "baseline_table_s": med("old", "table_s"), "baseline_simulate_s": med("old", "simulate_s"),
            "new_cpu_s": med("new", "cpu"), "load": [r["new"]["load"] for r in runs],
            "workers": workers, "shards": runs[0]["new"]["shards"], "backend": runs[0]["new"]["backend"],
            "info": info, "runs": runs}


def demo_figure(N, workers, repeats):
    target = {18: 12.0, 20: 30.0}.get(N)

    def make():
        net, old_e, new_e, pr = demo_case(N)
        return net, old_e, new_e, {"r": pr["r"], "eta": pr["eta"], "patterns": ["".join(map(str, w)) for w in pr["patterns"]]}
    return compare(f"demo k=3 N={N}", make, N, workers, repeats, target)


def iterate_figure(rounds, workers, repeats):
    def make():
        net, chain, picks = iterate_case(rounds)
        return net, chain, chain, {"rounds": picks}
    return compare(f"iterate k=2 round {rounds} N=6", make, 6, workers, repeats, 30.0 if rounds == 5 else None)


def strategies_figure(rounds, repeats):
    """Time to simulate all 64 documents of the round-R network, three batch strategies."""
    net, chain, _ = iterate_case(rounds)
    N = 6
    docs = rnnsim.all_documents(2, N)
    rnnsim.simulate_all(net, 2, "float64", engine="numba", progress=False)
    ways = {
        "prefix tree, 1 process (numba 2 threads)": lambda: verify(net, chain, N, workers=1, shard_depth=0,
                                                                 progress=False),
        "prefix tree, 2 processes (one subtree each)": lambda: verify(net, chain, N, workers=2, shard_depth=1,
                                                                    progress=False),
        "full batch of 64 documents (simulate_batch)": lambda: rnnsim.simulate_batch(
            net, docs, "float64", engine="numba", progress=False),
    }
    times = {name: [] for name in ways}
    for _ in range(repeats):
        for name, fn in ways.items():
            times[name].append(_clock(fn)[1])
    return {"figure": f"batch strategies, iterate k=2 round {rounds} N=6", "size": net.size, "tau": net.tau,
            "rows": {name: {"median_s": statistics.median(t["wall"] for t in ts), "runs": ts}
                     for name, ts in times.items()}}


def cstraight_figure(rounds, repeats):
    """One token at batch 1: numba's interpreter vs gcc-compiled straight-line code."""
    from rnnsim.arith import parse_arithmetic
    from rnnsim.engines import get_engine
    from rnnsim.engines.codegen import STRAIGHT_LINE_PARAMS, straight_line_source
    from rnnsim.engines.kernel_plan import build_plan

    net, _, _ = iterate_case(rounds)
    arith = parse_arithmetic("float64")
    ex = get_engine("numba").compile(net.program, arith)
    st = ex.init_state(1)
    ex.advance(st, np.zeros(1, dtype=np.int64), 0)
    numba_t = [_clock(lambda: ex.advance(ex.init_state(1), np.zeros(1, dtype=np.int64), 0))[1]["wall"]
               for _ in range(repeats)]
    row = {"figure": f"one token, batch 1, iterate k=2 round {rounds}", "size": net.size, "tau": net.tau,
           "numba_s": statistics.median(numba_t)}
    gcc = shutil.which("gcc")
    if gcc is None:
        row["c_straight_s"] = None
        return row
    plan = build_plan(net.program, arith, engine="cupy", fuse=False)
    src = straight_line_source(plan, net.program, arith)
    tmp = Path(tempfile.mkdtemp())
    (tmp / "k.c").write_text(src)
    t = time.perf_counter()
    subprocess.run([gcc, "-O2", "-shared", "-fPIC", "-ffp-contract=off", "-fno-fast-math", "-x", "c",
                    str(tmp / "k.c"), "-o", str(tmp / "k.so")], check=True, capture_output=True)
    row["c_compile_s"] = time.perf_counter() - t
    lib = ctypes.CDLL(str(tmp / "k.so"))
    P, I64 = ctypes.c_void_p, ctypes.c_longlong

    def one():
        V = np.ascontiguousarray(ex.init_state(1), dtype=np.float64)
        tok = np.zeros((1, 1), dtype=np.int64)
        out = np.zeros((1, 1))
        ek = np.zeros(1, dtype=np.int32)
        et, ew, ec, ev = (np.zeros(1, dtype=np.int64) for _ in range(4))
        ptr = lambda a: P(a.ctypes.data)  # noqa: E731
        given = {"V": ptr(V), "tok": ptr(tok), "B": I64(1), "M": I64(1), "t0": I64(0), "tau": I64(net.tau),
                 "out": ptr(out), "ek": ptr(ek), "et": ptr(et), "ew": ptr(ew), "ec": ptr(ec), "ev": ptr(ev)}
        lib.rnn_run(*(given[name] for name in STRAIGHT_LINE_PARAMS))    # the parameter list of this version
        return out[0, 0]
    c_t = [_clock(one)[1]["wall"] for _ in range(repeats)]
    row["c_straight_s"] = statistics.median(c_t)
    row["same_output"] = one() == float(ex.advance(ex.init_state(1), np.zeros(1, dtype=np.int64), 0)[1][0])
    row["n_ops_unfused"] = int(plan.n_ops)
    return row


NATIVE_BATCHES = (1, 2, 4, 8, 16, 64)


def native_figure(rounds, repeats, batches=NATIVE_BATCHES):
    """One token of the round-R network per batch size: numba vs the native engine."""
    from rnnsim.arith import parse_arithmetic
    from rnnsim.engines import get_engine
    from rnnsim.engines.native_engine import NativeEngine, lane_width

    net, _, _ = iterate_case(rounds)
    arith = parse_arithmetic("float64")
    row = {"figure": f"one token, iterate k=2 round {rounds}", "size": net.size, "tau": net.tau,
           "lanes": lane_width()[0], "batches": {}}
    old = os.environ.get("RNNSIM_NATIVE_CACHE")
    with tempfile.TemporaryDirectory() as cold:                 # an empty cache: the compile is timed
        os.environ["RNNSIM_NATIVE_CACHE"] = cold
        try:
            one, t = _clock(lambda: NativeEngine(threads=1).compile(net.program, arith))
        finally:
            os.environ.pop("RNNSIM_NATIVE_CACHE") if old is None else os.environ.update(RNNSIM_NATIVE_CACHE=old)
    row["native_compile_s"] = t["wall"]
    both = NativeEngine().compile(net.program, arith)
    nb = get_engine("numba").compile(net.program, arith)
    nb.advance(nb.init_state(1), np.zeros(1, dtype=np.int64), 0)          # kernel loaded
    for B in batches:
        toks = (np.arange(B) % 2).astype(np.int64)
        res = {}
        for name, ex in (("numba", nb), ("native_1", one), ("native", both)):
            runs = [_clock(lambda: ex.advance(ex.init_state(B), toks, 0)) for _ in range(repeats)]
            res[name] = {"median_s": statistics.median(r[1]["wall"] for r in runs),
                         "load": [r[1]["load"][0] for r in runs]}
            res[name]["result"] = runs[0][0]
        (s0, o0), (s1, o1), (s2, o2) = (res[k].pop("result") for k in ("numba", "native_1", "native"))
        res["identical"] = all(np.array_equal(np.asarray(a).view(np.int64), np.asarray(b).view(np.int64))
                               for a, b in ((s0, s1), (o0, o1), (s0, s2), (o0, o2)))
        row["batches"][B] = res
        print(f"  batch {B}: numba {res['numba']['median_s']:.2f} s, native 1 thread "
              f"{res['native_1']['median_s']:.2f} s, all threads {res['native']['median_s']:.2f} s, "
              f"identical {res['identical']}", file=sys.stderr)
    return row


# ---- output -----------------------------------------------------------------------------------

def markdown(rows) -> str:
    out = ["| figure | baseline (old path) | new | speedup | target | identical verdict & worst error | "
           "max error | shards / backend | load avg |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "baseline_s" in r:
            tgt = f"≤ {r['target_s']:g} s {'✓' if r['new_s'] <= r['target_s'] else '✗'}" if r["target_s"] else ""
            loads = ", ".join(f"{ld[0]:.1f}" for ld in r["load"])
            out.append(f"| {r['figure']} (size {r['size']}, τ {r['tau']}) | {r['baseline_s']:.1f} s "
                       f"(table {r['baseline_table_s']:.1f} s) | {r['new_s']:.1f} s | {r['speedup']:.1f}× | {tgt} | "
                       f"{'yes' if r['identical'] else 'NO'} | {r['max_error']:.3e} | {r['shards']} / "
                       f"{r['backend']} | {loads} |")
    for r in rows:
        if "rows" in r:
            out.append("")
            out.append(f"{r['figure']} (size {r['size']}, τ {r['tau']}): " + "; ".join(
                f"{name}: {v['median_s']:.1f} s" for name, v in r["rows"].items()))
        if "numba_s" in r:
            out.append("")
            c = r.get("c_straight_s")
            out.append(f"{r['figure']} (size {r['size']}, τ {r['tau']}): numba {r['numba_s']:.2f} s"
                       + (f"; straight-line C (gcc -O2, compile {r['c_compile_s']:.1f} s, {r['n_ops_unfused']} ops) "
                          f"{c:.3f} s ({r['numba_s'] / c:.1f}×), same output: {r['same_output']}" if c else ""))
        if "native_compile_s" in r:
            out += ["", f"{r['figure']} (size {r['size']}, τ {r['tau']}), W = {r['lanes']} lanes, native compile "
                    f"{r['native_compile_s']:.1f} s (cold cache):", "",
                    "| batch | numba (all threads) | native, 1 thread | native, all threads | speedup (1 thread) "
                    "| bit-identical to numba |", "|---|---|---|---|---|---|"]
            for B, v in r["batches"].items():
                a, b, c = (v[k]["median_s"] for k in ("numba", "native_1", "native"))
                sec = lambda x: f"{x:.3f} s" if x < 1 else f"{x:.2f} s"  # noqa: E731
                out.append(f"| {B} | {sec(a)} | {sec(b)} | {sec(c)} | {a / b:.1f}× | "
                           f"{'yes' if v['identical'] else 'NO'} |")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--figures", nargs="*", default=None,
                    help="demoN, iterateR, strategiesR, cstraightR, nativeR (default: demo18 demo20 iterate5)")
    ap.add_argument("--quick", action="store_true", help="demo14 demo16 iterate3")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, default=None,
                    help="verify's workers (default: verify's choice — all cores when it pays, else in-process)")
    ap.add_argument("--check", action="store_true",
                    help="first check the fast problem solver against the demo's own functions (N = 6 … 12)")
    args = ap.parse_args(argv)
    if args.check:
        for N in range(6, 13, 2):
            assert demo_problem_fast(N) == demo_problem_slow(N), N
        print("fast demo problem = demo's functions for N = 6 … 12", file=sys.stderr)
    figures = args.figures or (["demo14", "demo16", "iterate3"] if args.quick else ["demo18", "demo20", "iterate5"])
    workers = args.workers          # None: verify's own choice (all cores when it pays)
    rows = []
    for f in figures:
        print(f"{f} …", file=sys.stderr)
        if f.startswith("demo"):
            rows.append(demo_figure(int(f[4:]), workers, args.repeats))
        elif f.startswith("iterate"):
            rows.append(iterate_figure(int(f[7:]), workers, args.repeats))
        elif f.startswith("strategies"):
            rows.append(strategies_figure(int(f[10:]), args.repeats))
        elif f.startswith("cstraight"):
            rows.append(cstraight_figure(int(f[9:]), args.repeats))
        elif f.startswith("native"):
            rows.append(native_figure(int(f[6:]), args.repeats))
        else:
            raise SystemExit(f"unknown figure {f!r}")
    text = markdown(rows)
    print(text)
    meta = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "load_avg_end": os.getloadavg(), "python": platform.python_version(),
            "numpy": np.__version__, "workers": workers, "repeats": args.repeats}
    write_results("verify", text, {"meta": meta, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
