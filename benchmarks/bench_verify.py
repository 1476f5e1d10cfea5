"""Exhaustive verification benchmark (issue: verification at scale): every figure beside its
baseline — the old path, simulate_all + the per-prefix Lemma 2 table + max |difference| —
in one run, with identical verdicts and worst errors checked.

    .venv/bin/python benchmarks/bench_verify.py                    # demo N=18, 20; iterate round 5
    .venv/bin/python benchmarks/bench_verify.py --quick            # demo N=14, 16; iterate round 3
    .venv/bin/python benchmarks/bench_verify.py --figures demo18 --repeats 5 --workers 2
    .venv/bin/python benchmarks/bench_verify.py --figures strategies4 cstraight5

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
Each figure is the median of ``--repeats`` runs (baseline and new interleaved, the load
average recorded around each); the JSON also keeps every run. Writes a markdown table to
stdout and ``benchmarks/results/verify-<time>.{md,json}``.
"""

from __future__ import annotations

import argparse
import copy
import ctypes
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from results_io import write_results  # noqa: E402
sys.path.insert(0, str(ROOT))

import rnnsim  # noqa: E402
from constructions import boosting, models  # noqa: E402
from proofs_checks import boost as pboost  # noqa: E402
from proofs_checks.advantage import advantage  # noqa: E402
from proofs_checks.lm import LM  # noqa: E402
from workflows import demo  # noqa: E402
from workflows.verify import verify  # noqa: E402

CACHE = HERE / "results" / "cache"


# ---- problems ---------------------------------------------------------------------------------

def demo_problem_slow(N: int, k: int = 3) -> dict:
    """The demo's default problem by the demo's own functions (``demo.default_problem``
    without its N ≤ 14 cap): exact over all 2^N documents, minutes at N = 18."""
    pfa = models.motif_pfa((1, 1, 1), "avoid")
    p = LM.from_callable(pfa, 2, N).distribution()
    table = demo.best_markov_fit(p, 1)
    q = LM.from_callable(models.markov_q(1, table), 2, N)
    patterns = demo.best_patterns(p, q, k)
    adv = advantage(p, q, models.pattern_d(k, patterns), k=k)
    return dict(table=table, patterns=patterns, r=pboost.best_offset(adv), eta=float(adv.alpha), N=N, k=k)


def demo_problem_fast(N: int, k: int = 3) -> dict:
    """The same problem by a forward pass over the automaton's states (exact Fractions, O(N)):
    the Markov fit from the pair marginals P(x_{i−1} = c, x_i = 1) (x_0 = 0), each window
    pattern's advantage A_j(w) = Σ_c P(x_{j−1} = c)·q(w | c) − P(x_{j..j+k−1} = w), the
    pattern set {w : Σ_j A_j(w) > 0}, r* and η = α. Checked equal to the slow path (``--check``)."""
    from itertools import product

    from proofs_checks.advantage import Advantage, offsets

    pfa = models.motif_pfa((1, 1, 1), "avoid")
    delta, emit = pfa.delta, pfa.emit
    # F[i]: {(state after i tokens, x_i): probability}, x_0 = 0 (the Markov fit's padding)
    F = [{(pfa.start, 0): Fraction(1)}]
    for _ in range(N):
        nxt: dict = {}
        for (s, _c), pr in F[-1].items():
            for a in (0, 1):
                if emit[s][a]:
                    key = (delta[s][a], a)
                    nxt[key] = nxt.get(key, 0) + pr * emit[s][a]
        F.append(nxt)
    tot, ones = {0: Fraction(0), 1: Fraction(0)}, {0: Fraction(0), 1: Fraction(0)}
    for i in range(1, N + 1):
        for (s, c), pr in F[i - 1].items():
            tot[c] += pr
            ones[c] += pr * emit[s][1]
    table = {(c,): (ones[c] / tot[c]) if tot[c] else Fraction(1, 2) for c in (0, 1)}
    q1 = {c: table[(c,)] for c in (0, 1)}

    def q_block(w, c):                   # q(w | previous token c)
        v = Fraction(1)
        for t in w:
            v *= q1[c] if t == 1 else 1 - q1[c]
            c = t
        return v

    def p_block(j, w):                   # P(x_j … x_{j+k−1} = w)
        v = Fraction(0)
        for (s, _c), pr in F[j - 1].items():
            for t in w:
                pr *= emit[s][t]
                s = delta[s][t]
            v += pr
        return v

    M = N - k + 1
    prev = [{0: Fraction(1), 1: Fraction(0)}] + [
        {c: sum((pr for (s, cc), pr in F[j - 1].items() if cc == c), Fraction(0)) for c in (0, 1)}
        for j in range(2, M + 1)]
    A = {w: [sum((prev[j - 1][c] * q_block(w, c) for c in (0, 1)), Fraction(0)) - p_block(j, w)
             for j in range(1, M + 1)] for w in product((0, 1), repeat=k)}
    patterns = [w for w in product((0, 1), repeat=k) if sum(A[w]) / M > 0]
    Aj = [sum((A[w][j] for w in patterns), Fraction(0)) for j in range(M)]
    I = offsets(k, M)
    adv = Advantage(k, M, Aj, [], [], sum(Aj, Fraction(0)) / M, I, {r: len(I[r]) for r in I},
                    {r: sum((Aj[j - 1] for j in I[r]), Fraction(0)) for r in I})
    return dict(table=table, patterns=patterns, r=pboost.best_offset(adv), eta=float(adv.alpha), N=N, k=k)


def demo_problem(N: int, k: int = 3) -> dict:
    """The demo's problem at N (cached in benchmarks/results/cache/)."""
    path = CACHE / f"demo-N{N}-k{k}.json"
    if path.exists():
        c = json.loads(path.read_text())
        table = {(int(key),): Fraction(v) for key, v in c["q_table"].items()}
        patterns = [tuple(int(ch) for ch in w) for w in c["patterns"]]
        return dict(table=table, patterns=patterns, r=c["r"], eta=c["eta"], N=N, k=k)
    pr = demo_problem_fast(N, k)
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"q_table": {str(c[0]): str(v) for c, v in pr["table"].items()},
                                "patterns": ["".join(map(str, w)) for w in pr["patterns"]], "r": pr["r"],
                                "eta": pr["eta"]}))
    return pr


def demo_case(N: int):
    pr = demo_problem(N)
    k, r, eta = pr["k"], pr["r"], pr["eta"]
    net = boosting.boost(models.markov_lm(1, pr["table"]), models.pattern_distinguisher(k, pr["patterns"]),
                         k=k, r=r, eta=eta, N=N)
    d = models.pattern_d(k, pr["patterns"])
    q_table = LM.from_callable(models.markov_q(1, pr["table"]), 2, N)       # what the demo holds
    expected = pboost.boosted_conditional(q_table, d, k=k, r=r, eta=eta, N=N)
    return net, expected, expected, pr


def iterate_case(rounds: int, k: int = 2, N: int = 6):
    pfa = models.motif_pfa((1, 1, 1), "avoid")
    p = LM.from_callable(pfa, 2, N).distribution()
    table = demo.best_markov_fit(p, 1)
    q_lm = LM.from_callable(models.markov_q(1, table), 2, N)
    net = models.markov_lm(1, table)
    chain = models.markov_q(1, table)
    picks = []
    for t in range(rounds):
        patterns = demo.best_patterns(p, q_lm, k)
        d = models.pattern_d(k, patterns)
        adv = advantage(p, q_lm, d, k=k)
        r = pboost.best_offset(adv)
        w = Fraction(math.exp(-float(adv.alpha)))
        net = boosting.boost(net, models.pattern_distinguisher(k, patterns), k=k, r=r, factor=w, N=N,
                             name=f"boost{t + 1}")
        chain = pboost.boosted_conditional(chain, d, k=k, r=r, factor=w, N=N, b=2)
        q_lm = chain.table()
        picks.append({"patterns": ["".join(map(str, s)) for s in patterns], "r": r, "alpha": float(adv.alpha)})
    return net, chain, picks


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
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--figures", nargs="*", default=None,
                    help="demoN, iterateR, strategiesR, cstraightR (default: demo18 demo20 iterate5)")
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
