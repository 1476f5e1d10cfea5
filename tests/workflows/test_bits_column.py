"""Theorem 2's bits column in the self-boosting and growth reports (workflows.bits_column;
paper: Lemma 12, Theorem 2): every built round gets the format Fixed(i, f) of the Lemma 12
analysis, and that format runs the round's network on every document without overflow and
within δ of its float64 outputs (exhaustive over Σ^N); closed-form rounds get no bits; the
CLIs print the column and the figures get the bits panel."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

import rnnsim
from rnnsim import Fixed
from rnnsim.cli import main as cli_main
from workflows import bits as wbits, bits_column, growth, selfboost
from workflows.selfboost_cli import default_source

pytestmark = pytest.mark.lemma("Theorem 2", "Lemma 12")

DELTA = F(1, 2 ** 10)


def _check_format(net, cols, N, delta):
    """The column's format, run on every document of Σ^N: no overflow, error ≤ δ, and B = 1 + i + f."""
    i, f = cols["bits i"], cols["bits f"]
    assert cols["bits B"] == 1 + i + f and cols["bits s"] >= 0
    out, _ = wbits.run_fixed(net, Fixed(i, f), N, "numba")            # raises FixedPointOverflow
    want = rnnsim.simulate_all(net, N, "float64", "numba")
    assert out.shape == want.shape == (2 ** N, N)
    assert np.max(np.abs(out - want)) <= float(delta)


def test_selfboost_rows_get_the_bits_of_their_network():
    nets = {}

    def keep(row, net, q):
        nets[row.t] = net
        return {}

    rep = selfboost.selfboost(default_source(4), k=2, eps=0.02, max_built=2, max_rounds=3, progress=False,
                              hooks=[keep, bits_column.selfboost_hook(DELTA)])
    built = [r for r in rep.rows if r.mode == "built"]
    assert [r.t for r in built] == [1, 2] and rep.rows[0].extra["bits i"] >= 1
    for r in rep.rows:
        if r.mode == "closed form":
            assert r.extra == {}
        else:
            _check_format(nets[r.t], r.extra, 4, DELTA)
    # the counters of round t+1 count a slot of length τ_t + 1: its integer bits grow with log τ
    assert built[1].extra["bits i"] > built[0].extra["bits i"] >= (built[0].tau // 10).bit_length()


def test_growth_rows_get_the_bits_of_their_network():
    nets = {}
    rep = growth.growth((1,), 2, cls="patterns", simple=True, progress=False,
                        hooks=[lambda row, net: nets.setdefault((row.construction, row.t), net) and {},
                               bits_column.growth_hook(DELTA)])
    assert {(r.construction, r.t) for r in rep.rows if "bits i" in r.extra} == set(nets)
    for r in rep.rows:
        _check_format(nets[(r.construction, r.t)], r.extra, 4, DELTA)       # growth builds for N = 2k + 2


@pytest.mark.parametrize("cmd", [
    pytest.param(["selfboost", "--N", "3", "--k", "1", "--max-built", "1", "--rounds", "1"], marks=pytest.mark.slow),
    ["growth", "--k", "1", "--rounds", "1", "--no-simple"]])
def test_cli_bits_option_prints_the_column_and_plots_the_panel(capsys, tmp_path, cmd):
    png = tmp_path / "f.png"
    assert cli_main(cmd + ["--bits", "--no-progress", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    head = next(line for line in out.splitlines() if line.startswith("| k |") or line.startswith("| t |"))
    assert all(c in head for c in bits_column.COLUMNS)
    assert png.stat().st_size > 0
