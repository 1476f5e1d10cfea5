"""Start-up and scale benchmark (issue: scale and speed): every figure beside a baseline
revision in one run, each measured in a fresh process.

    .venv/bin/python benchmarks/bench_scale.py                       # baseline: main
    .venv/bin/python benchmarks/bench_scale.py --baseline 60190de --repeats 3
    .venv/bin/python benchmarks/bench_scale.py --figures kernels demo build

The baseline revision is exported with ``git archive`` into a temporary directory; every
figure runs as ``python -c SNIPPET`` with ``PYTHONPATH`` set to that tree or to this
checkout, baseline and new interleaved (so background load hits them alike), and the load
average is recorded around each run. Figures:

* ``kernels``: cold compile of the numba kernels (a fresh ``NUMBA_CACHE_DIR``): seconds to
  the first float64, fixed-point (no 128-bit operation) and 128-bit fixed-point call.
* ``demo``: ``rnnsim demo`` (N = 10, k = 3) wall time, cold (fresh numba cache) then warm.
* ``bits``: the demo's bit-size step alone (``bitsize.choose_format`` on its boosted
  network, δ = 2^−12), warm.
* ``build``: build + lower + plan (numba, float64) of ``rnnsim.bench.netgen.random_network``
  with 10^5 nodes: CPU seconds per stage (robust under background load), wall seconds in
  all, and the process's peak RSS.

Writes a markdown table to stdout and ``benchmarks/results/scale-<time>.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from results_io import write_results  # noqa: E402

KERNELS = r"""
import time, json
import rnnsim
b = rnnsim.Builder("k"); x = b.input("x"); y = b.node("y"); z = b.node("z")
b.update(y, x * y + 1); b.update(z, x + 1); b.output(y); net = b.build()
out = {}
for a in ["float64", "fixed:8:16", "fixed:4:40"]:
    t = time.perf_counter(); rnnsim.simulate_batch(net, [[1, 1, 0]], a, engine="numba")
    out[a] = time.perf_counter() - t
out["all three"] = sum(out.values())
print(json.dumps(out))
"""

BITS = r"""
import time, json
from fractions import Fraction
from workflows import demo
from constructions import bitsize
from proofs_checks import boost as pboost
from proofs_checks.advantage import advantage
pr = demo.default_problem(10, 3)
adv = advantage(pr.p, pr.q, pr.d, k=3)
net = demo.build_boosted(pr, pboost.best_offset(adv), float(adv.alpha))
t = time.perf_counter()
mu = bitsize.lm_min_prob(pr.lm_net)
ch = bitsize.choose_format(net, Fraction(demo.DELTA), horizon=10, **bitsize.boosted_assumptions(net, mu))
print(json.dumps({"choose_format": time.perf_counter() - t, "format": str(ch.fixed),
                  "error": str(ch.analysis.output_error)}))
"""

BUILD = r"""
import time, json, resource
t0 = time.perf_counter()
from rnnsim.bench import netgen
from rnnsim.engines.kernel_plan import build_plan
import rnnsim
w1 = time.perf_counter()
t1 = time.process_time(); net = netgen.random_network(100_000)
t2 = time.process_time(); prog = net.program
t3 = time.process_time(); plan = build_plan(prog, rnnsim.parse_arithmetic("float64"), engine="numba", fuse=True)
t4 = time.process_time()
print(json.dumps({"build CPU": t2 - t1, "lower CPU": t3 - t2, "plan CPU": t4 - t3, "total CPU": t4 - t1,
                  "total wall": time.perf_counter() - w1,
                  "peak_MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def load() -> float:
    return os.getloadavg()[0]


def run_py(tree: Path, code: str, cache: Path, args=None) -> tuple[float, str, float]:
    env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_CACHE_DIR=str(cache), RNNSIM_NO_PROGRESS="1")
    cmd = [sys.executable, *(args or ["-c", code])]
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tempfile.gettempdir())
    dt = time.perf_counter() - t
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} in {tree} failed ({p.returncode}): {p.stderr[-2000:]}")
    return dt, p.stdout, load()


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def figure(name: str, tree: Path, scratch: Path) -> dict:
    cache = scratch / f"numba-{name}-{time.monotonic_ns()}"
    if name == "kernels":
        dt, out, ld = run_py(tree, KERNELS, cache)
        return {**last_json(out), "load": ld}
    if name == "demo":
        cold, _, l1 = run_py(tree, "", cache, ["-m", "rnnsim.cli", "demo"])
        warm, _, l2 = run_py(tree, "", cache, ["-m", "rnnsim.cli", "demo"])
        return {"cold": cold, "warm": warm, "load": max(l1, l2)}
    if name == "bits":
        run_py(tree, KERNELS, cache)
        dt, out, ld = run_py(tree, BITS, cache)
        return {**last_json(out), "load": ld}
    if name == "build":
        dt, out, ld = run_py(tree, BUILD, cache)
        return {**last_json(out), "load": ld}
    raise ValueError(f"unknown figure {name!r}")


def export(rev: str, dest: Path) -> Path:
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def summarize(runs: list[dict]) -> dict:
    keys = [k for k, v in runs[0].items() if isinstance(v, (int, float))]
    med = {k: statistics.median(r[k] for r in runs) for k in keys}
    med.update({k: v for k, v in runs[0].items() if not isinstance(v, (int, float))})
    return med


def markdown(rows: list[dict], meta: dict) -> str:
    lines = [f"baseline {meta['baseline']} vs this checkout ({meta['head']}); {meta['machine']}; "
             f"medians of {meta['repeats']} runs", "",
             "| figure | quantity | baseline | new | new / baseline | load (b / n) |", "|---|---|---|---|---|---|"]
    for row in rows:
        b, n = row["baseline"], row["new"]
        for k, v in b.items():
            if k == "load":
                continue
            if isinstance(v, float):
                ratio = f"{n[k] / v:.2f}" if v else "—"
                lines.append(f"| {row['figure']} | {k} | {v:.2f} | {n[k]:.2f} | {ratio} | "
                             f"{b['load']:.1f} / {n['load']:.1f} |")
            else:
                lines.append(f"| {row['figure']} | {k} | {v} | {n.get(k)} | {'same' if v == n.get(k) else 'DIFFERENT'} | |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", default="main", help="git revision to compare with (default main)")
    ap.add_argument("--figures", nargs="*", default=["kernels", "demo", "bits", "build"])
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args(argv)
    head = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                          text=True).stdout.strip()
    meta = {"baseline": args.baseline, "head": head, "repeats": args.repeats, "python": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores", "start_load": os.getloadavg()}
    rows = []
    with tempfile.TemporaryDirectory(prefix="rnnsim-bench-scale-") as tmp:
        scratch = Path(tmp)
        base = export(args.baseline, scratch / "baseline")
        for name in args.figures:
            runs = {"baseline": [], "new": []}
            for _ in range(args.repeats):
                for label, tree in (("baseline", base), ("new", ROOT)):
                    runs[label].append(figure(name, tree, scratch))
                    print(f"{name} {label}: {runs[label][-1]}", file=sys.stderr)
            rows.append({"figure": name, "baseline": summarize(runs["baseline"]), "new": summarize(runs["new"]),
                         "runs": runs})
    md = markdown(rows, meta)
    print(md)
    write_results("scale", md, {"meta": meta, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
