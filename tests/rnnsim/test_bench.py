"""``rnnsim bench`` (rnnsim/bench/): runs from the installed package, writes its tables where
asked, and reports a rate for every engine configuration; the checkout wrapper delegates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from rnnsim import cli

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--sizes", "40", "--batches", "8", "--threads", "1", "--repeats", "1", "--no-c", "--no-deep-tau",
        "--seconds", "0.01"]


def test_bench_writes_tables_with_a_rate_per_configuration(tmp_path, capsys):
    out = tmp_path / "res"
    assert cli.main(["bench", *TINY, "--out", str(out)]) == 0
    (js,) = out.glob("engines-*.json")
    (md,) = out.glob("engines-*.md")
    data = json.loads(js.read_text())
    (row,) = data["rows"]
    assert row["network"] == "random 40" and row["size"] == 40 and row["batch"] == 8
    rates = {k: v for k, v in row.items() if k == "reference" or k.startswith("numba")}
    assert set(rates) >= {"reference", "numba f64 1t", "numba fixed:2:24 1t"}
    assert all(v > 0 for v in rates.values())
    assert "| random 40 | 8 |" in md.read_text() and "| random 40 | 8 |" in capsys.readouterr().out


def test_bench_bad_arguments_follow_the_cli_contract(tmp_path, capsys):
    assert cli.main(["bench", "--sizes", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("rnnsim: error: ") and "--sizes" in err[0]
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert cli.main(["bench", *TINY, "--out", str(blocker / "sub")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("rnnsim: error: --out")


def test_checkout_wrapper_delegates_to_the_cli(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_engines.py"), *TINY, "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert list(tmp_path.glob("engines-*.json"))
