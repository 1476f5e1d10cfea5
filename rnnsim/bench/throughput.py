"""Engine throughput benchmark (THEORY §8): node-updates per second = size × steps × batch /
seconds, for every engine and arithmetic side by side, with the ratio to the reference.

    rnnsim bench                    # default set (a few minutes)
    rnnsim bench --quick            # small set (~1 minute)
    rnnsim bench --sizes 1000 --batches 64 1024 --threads 1 2 --out results/

Networks: random ReLU/product/gated mixes of 10^2 … 10^5 nodes and deep-τ gated networks
(:mod:`rnnsim.bench.netgen`). Engines: ``reference`` (float64), ``numba`` (float64 and a fixed
format, 1 and 2 threads), a C loop over the same operation list (``c_baseline.c`` shipped
next to this module, gcc -O3 -march=native, one thread; skipped without gcc) and ``cupy``
where a GPU exists. Each figure is the best of ``--repeats`` timed runs after one warm-up
run (compilation excluded); the configurations of one row are timed in interleaved rounds
so that background load affects them alike. Timings are steady state: the batch state is
allocated before the clock starts; compiled engines advance all N tokens in one call.
Writes a markdown table to stdout and ``<out>/engines-<time>.{md,json}`` (``--out``,
default ``./rnnsim-bench``; the compiled C baseline is cached there too).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import rnnsim
from rnnsim.engines import available_engines
from rnnsim.errors import InputError

from . import netgen

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = Path("rnnsim-bench")
TARGET_SECONDS = 1.0      # work per timed run (--seconds)
CORES_USED: dict = {}     # config → CPU seconds / wall seconds of its best run (cores it got)


def _best_rates(configs, repeats):
    """configs: name → (prepare() → run(), work per run). Runs every config once to warm
    up, then ``repeats`` rounds interleaving the configs (so that background load hits
    them alike); returns name → best node-updates/s."""
    runs = {}
    for name, (prepare, work) in configs.items():
        runs[name] = (prepare(), work)
        runs[name][0]()                                    # warm-up: compile, caches
    best = {name: 0.0 for name in configs}
    cores = {name: 0.0 for name in configs}
    for _ in range(repeats):
        for name, (run, work) in runs.items():
            r0 = resource.getrusage(resource.RUSAGE_SELF)
            t = time.perf_counter()
            run()
            dt = time.perf_counter() - t
            r1 = resource.getrusage(resource.RUSAGE_SELF)
            if work / dt > best[name]:
                best[name] = work / dt
                cores[name] = ((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)) / dt
    CORES_USED.update(cores)
    return best


def _tokens(B, N, seed=0):
    return np.random.default_rng(seed).integers(0, 2, (B, N))


def engine_config(rnn, engine, arith, batch, threads, rate_guess):
    """Steady-state advance of ``batch`` runs over N tokens (state allocated beforehand):
    one ``advance_many`` call for compiled engines, token-by-token ``advance`` for the
    reference. N is chosen for ~TARGET_SECONDS of work (and ≥ 64 steps when affordable)."""
    from rnnsim.engines import get_engine

    per_token = rnn.size * rnn.tau * batch
    N = int(max(1, min(10_000, TARGET_SECONDS * rate_guess / per_token)))
    if N * rnn.tau < 64 and 64 * per_token / rate_guess < 5 * TARGET_SECONDS:
        N = -(-64 // rnn.tau)
    toks = _tokens(batch, N)
    arith = rnnsim.parse_arithmetic(arith)

    def prepare():
        ex = get_engine(engine).compile(rnn.program, arith)
        state = [ex.init_state(batch)]

        def run():
            if threads:
                os.environ["RNNSIM_THREADS"] = str(threads)
            try:
                if hasattr(ex, "advance_many"):
                    state[0], _ = ex.advance_many(state[0], toks, 0)
                else:
                    for m in range(N):
                        state[0], _ = ex.advance(state[0], toks[:, m], m * rnn.tau)
            finally:
                os.environ.pop("RNNSIM_THREADS", None)
        return run

    return prepare, per_token * N


def build_c_baseline(outdir: Path):
    """Compile the C baseline into ``outdir`` (None without gcc or when it fails to build)."""
    gcc = shutil.which("gcc")
    if gcc is None:
        return None
    out = outdir / "c_baseline.so"
    src = HERE / "c_baseline.c"
    if not out.exists() or out.stat().st_mtime < src.stat().st_mtime:
        r = subprocess.run([gcc, "-O3", "-march=native", "-ffp-contract=off", "-shared", "-fPIC",
                            str(src), "-o", str(out)], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"# C baseline not built ({r.stderr.strip().splitlines()[-1:] or 'gcc failed'})", file=sys.stderr)
            return None
    return ctypes.CDLL(str(out))


def c_config(lib, rnn, batch):
    from rnnsim.engines.numba_engine import chunk_size

    p = rnn.program
    chunk = chunk_size(p.n_regs, batch, 1)          # the numba engine's policy, for its registers
    V = np.zeros((p.n_nodes, batch))
    tw = np.ascontiguousarray(p.consts_float()[p.term_w])
    cf = p.consts_float()
    arrs = [np.ascontiguousarray(a) for a in (p.op_code, p.op_a, p.op_b, p.op_c, p.term_reg)]
    src = np.ascontiguousarray(p.src, dtype=np.int32)
    ptr = lambda a: ctypes.c_void_p(a.ctypes.data)  # noqa: E731
    per_step = rnn.size * batch
    steps = int(max(1, TARGET_SECONDS * 1e9 / per_step))
    L = ctypes.c_long

    def prepare():
        def run():
            lib.run_f64(ptr(V), L(p.n_nodes), L(batch), L(p.n_ops), *(ptr(a) for a in arrs), ptr(tw), ptr(cf),
                        ptr(src), L(steps), L(chunk))
        return run

    return prepare, per_step * steps


def networks(sizes, quick, deep_tau=True):
    nets = [(f"random {n}", lambda n=n: netgen.random_network(n)) for n in sizes]
    taus = [] if not deep_tau else [(1000, 16)] if quick else [(1000, 16), (10_000, 64)]
    nets += [(f"gated {n} τ={tau}", lambda n=n, tau=tau: netgen.deep_tau_gated(n, tau)) for n, tau in taus]
    return nets


def _positive(kind):
    def parse(text):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not v > 0 or v != v or v == float("inf"):
            raise argparse.ArgumentTypeError(f"{text!r} must be positive and finite")
        return v
    return parse


def build_parser(prog: str = "rnnsim bench") -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small set: 10^2 and 10^3 nodes, batches 64 and 1024")
    ap.add_argument("--sizes", type=_positive(int), nargs="*", help="random-network sizes (nodes)")
    ap.add_argument("--batches", type=_positive(int), nargs="*", help="batch sizes")
    ap.add_argument("--threads", type=_positive(int), nargs="*", default=[1, 2], help="numba thread counts")
    ap.add_argument("--fixed", default="fixed:2:24", help="fixed format benchmarked (values stay in [-1, 1])")
    ap.add_argument("--repeats", type=_positive(int), default=5, help="timed runs per configuration (best kept)")
    ap.add_argument("--seconds", type=_positive(float), default=TARGET_SECONDS,
                    help="work per timed run, in seconds (default %(default)s)")
    ap.add_argument("--no-c", action="store_true", help="skip the C baseline")
    ap.add_argument("--no-deep-tau", action="store_true", help="skip the deep-τ gated networks")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="directory for the result tables (default %(default)s)")
    return ap


def main(argv=None, *, prog: str = "rnnsim bench"):
    global TARGET_SECONDS
    args = build_parser(prog).parse_args(argv)
    TARGET_SECONDS = args.seconds
    outdir = args.out
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"--out {str(outdir)!r}: cannot create the directory ({e.strerror or e})") from None
    sizes = args.sizes or ([100, 1000] if args.quick else [100, 1000, 10_000, 100_000])
    batches = args.batches or ([64, 1024] if args.quick else [64, 1024, 16384])
    fixed = rnnsim.parse_arithmetic(args.fixed)
    avail = available_engines()
    lib = None if args.no_c else build_c_baseline(outdir)
    rows = []
    for label, make in networks(sizes, args.quick, deep_tau=not args.no_deep_tau):
        t = time.perf_counter()
        rnn = make()
        build_s = time.perf_counter() - t
        ref = _best_rates({"ref": engine_config(rnn, "reference", "float64", 2, None, 3e6)}, 1)["ref"]
        for B in batches:
            if rnn.size * B > 2e8:          # register file beyond a few GB: skip
                continue
            row = {"network": label, "size": rnn.size, "tau": rnn.tau, "ops": rnn.program.n_ops, "batch": B,
                   "build_s": round(build_s, 2), "reference": ref}
            configs = {}
            for th in args.threads:
                configs[f"numba f64 {th}t"] = engine_config(rnn, "numba", "float64", B, th, 2e9)
            configs[f"numba {fixed} 1t"] = engine_config(rnn, "numba", fixed, B, 1, 2e9)
            if lib is not None:
                configs["C f64 1t"] = c_config(lib, rnn, B)
            if avail.get("cupy") is None and B >= 1024:
                configs["cupy f64"] = engine_config(rnn, "cupy", "float64", B, None, 2e10)
                configs[f"cupy {fixed}"] = engine_config(rnn, "cupy", fixed, B, None, 2e10)
            CORES_USED.clear()
            row.update(_best_rates(configs, args.repeats))
            row["cores_used"] = {k: round(v, 2) for k, v in CORES_USED.items()}
            rows.append(row)
            print(_row_md(row, header=len(rows) == 1), flush=True)
            print(f"    cores used (CPU s / wall s): {row['cores_used']}", flush=True)
    meta = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "load_avg": os.getloadavg(), "python": platform.python_version(),
            "numba": __import__("numba").__version__, "engines": avail, "fixed": str(fixed),
            "time": time.strftime("%Y-%m-%d %H:%M:%S")}
    if "numba" in avail:
        from rnnsim.engines.numba_engine import chunk_size, l2_bytes

        meta["l2_bytes"] = l2_bytes()        # the numba engine's chunk policy reads it (sysfs)
        meta["chunk_by_nodes"] = {n: chunk_size(2 * n, 4096, 1) for n in (100, 1000, 3000, 10_000, 100_000)}
    stamp = time.strftime("%Y%m%d-%H%M%S")
    md = markdown(rows, meta)
    (outdir / f"engines-{stamp}.md").write_text(md)
    (outdir / f"engines-{stamp}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    print("\n" + md)
    print(f"wrote {outdir}/engines-{stamp}.{{md,json}}")
    return 0


def _cols(row):
    return [k for k in row if k not in ("network", "size", "tau", "ops", "batch", "build_s", "cores_used")]


def _row_md(row, header=False):
    cols = _cols(row)
    cells = [row["network"], str(row["batch"])]
    ref = row.get("reference")
    for c in cols:
        v = row[c]
        if v is None:
            cells.append("–")
        elif c == "reference" or not ref:
            cells.append(f"{v:.3g}")
        else:
            cells.append(f"{v:.3g} ({v / ref:.0f}×)")
    line = "| " + " | ".join(cells) + " |"
    if header:
        head = "| network | batch | " + " | ".join(cols) + " |\n|" + "---|" * (len(cols) + 2)
        return head + "\n" + line
    return line


def markdown(rows, meta):
    out = [f"Node-updates per second (size × steps × batch / s); in parentheses the ratio to the "
           f"reference engine (float64). Machine: {meta['cpus']} CPUs, load average at the end "
           f"{tuple(round(x, 2) for x in meta['load_avg'])}, numba {meta['numba']}, {meta['time']}."
           + (f" L2 per core {meta['l2_bytes'] >> 10} KiB (sysfs); numba chunk (runs) by network size: "
              f"{meta['chunk_by_nodes']}." if "l2_bytes" in meta else "") + "\n"]
    cols_seen: list[str] = []
    for r in rows:
        for c in _cols(r):
            if c not in cols_seen:
                cols_seen.append(c)
    out.append("| network | batch | " + " | ".join(cols_seen) + " | cores got by 2t |")
    out.append("|" + "---|" * (len(cols_seen) + 3))
    for r in rows:
        full = {k: r.get(k) for k in ("network", "size", "tau", "ops", "batch", "build_s")}
        full.update({c: r.get(c) for c in cols_seen})
        got = r.get("cores_used", {}).get("numba f64 2t")
        out.append(_row_md(full).strip() + f" {got if got is not None else '–'} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main(prog="python -m rnnsim.bench.throughput"))
