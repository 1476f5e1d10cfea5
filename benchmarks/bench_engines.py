"""Run the engine benchmark from a source checkout: the same as ``rnnsim bench`` (the code
lives in :mod:`rnnsim.bench.throughput`), with the result tables written to
``benchmarks/results/`` unless ``--out`` is given.

    python benchmarks/bench_engines.py --quick
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the checkout's rnnsim, installed or not

from rnnsim import cli  # noqa: E402

if __name__ == "__main__":
    argv = sys.argv[1:]
    if not any(a == "--out" or a.startswith("--out=") for a in argv):
        argv += ["--out", str(HERE / "results")]
    sys.exit(cli.main(["bench", *argv]))
