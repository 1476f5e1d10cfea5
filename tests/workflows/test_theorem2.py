"""Theorem 2 as a workflow (workflows.theorem2, workflows.bits; paper: Lemma 12, Lemma 16,
Theorem 2): on the default problem, rounds 1–2 at their chosen formats never overflow on any
document, stay within δ of the exact Lemma 2 chain and meet Lemma 16's loss bound; measured ≤
claimed ≤ closed form for the integer and fractional bits, node by node for the integer
bits; the N sweep leaves the bits unchanged but for the position counters (⌈log₂(L+2)⌉ bits, by definition); explicit engines
(a refused format is reported, never run saturated); the CLI prints the slack table."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

import rnnsim
from constructions import boosting, models
from rnnsim import Fixed
from rnnsim.cli import main as cli_main
from workflows import bits as wbits, theorem2

pytestmark = pytest.mark.lemma("Theorem 2", "Lemma 12")


@pytest.fixture(scope="module")
def rows_k2():
    ch = theorem2.build_chain(2, 2, 6)
    return ch, theorem2.chain_rows(ch)


@pytest.mark.lemma("Theorem 2", "Lemma 12", "Lemma 16", "Claim 9", "Claim 10")
def test_rounds_one_and_two_meet_every_check(rows_k2):
    ch, rows = rows_k2
    assert [r.round for r in rows] == [1, 2]
    for r in rows:
        assert r.engine == "numba" and r.refused is None and r.overflow is None            # (a)
        assert r.measured_error <= r.proved_error <= r.delta                              # (b)
        assert r.loss_diff <= r.loss_bound                                                # (c) Lemma 16
        assert r.int_measured <= r.int_claimed <= r.int_closed                            # (d), Claim 9
        assert r.frac_measured <= r.frac_claimed <= r.frac_closed                         # Claim 10
        assert r.node_docs > 0 and r.node_violations == [] and r.closed_violations == []
        assert r.mu <= r.mu_exact and r.ok
    assert rows[0].int_measured == rows[0].int_claimed          # the counters reach their bounds
    assert rows[0].ratio <= 16                                  # the proved error is tight on round 1


def test_measured_bits_are_the_least_that_work(rows_k2):
    ch, rows = rows_k2
    r, net = rows[1], ch.nets[1]
    want = ch.qs[2].to_float().outputs()
    i, f = r.int_measured, r.frac_measured
    out, _ = wbits.run_fixed(net, Fixed(r.int_claimed, f), 6)
    assert np.max(np.abs(out - want)) <= r.delta
    out, _ = wbits.run_fixed(net, Fixed(r.int_claimed, f - 1), 6)
    assert np.max(np.abs(out - want)) > r.delta
    with pytest.raises(rnnsim.FixedPointOverflow):
        wbits.run_fixed(net, Fixed(i - 1, r.frac_claimed), 6)


def _position_bits(k: int, r: int, N: int) -> int:
    """Integer bits of a position counter by definition: it counts the loops i = 1, 2, … up to
    L + 1, L the end of the last block [j, j+k−1] ⊆ [1, N] with j ≡ r (mod k), j ≥ r."""
    L = max((j + k - 1 for j in range(r, N + 1, k) if j + k - 1 <= N), default=r - 1)
    return (L + 1).bit_length()


@pytest.mark.lemma("Theorem 2", "Claim 9", "Claim 10")
def test_n_sweep_leaves_the_chosen_bits_unchanged():
    ch = theorem2.build_chain(2, 2, 6)
    Ns = (6, 7, 1000)
    sweep = theorem2.n_sweep(ch, Ns)
    for t in range(2):
        assert len({sweep[N][t][1] for N in Ns}) == 1               # fractional bits: no N
        assert len({sweep[N][t][2] for N in Ns}) == 1               # integer bits of every other node: no N
        for N in Ns:                                                # the position counters of rounds 1..t+1
            pos = max(_position_bits(ch.k, r, N) for r in ch.rs[:t + 1])
            assert sweep[N][t][0] == max(sweep[N][t][2], pos), (t, N, sweep[N][t], pos)
    assert sweep[6][1][0] == sweep[7][1][0] > _position_bits(2, ch.rs[0], 7)   # round 2: the slot counter dominates
    assert sweep[1000][1][0] == _position_bits(2, ch.rs[1], 1000) == 10


def test_a_format_no_engine_runs_exactly_is_refused_not_saturated(monkeypatch):
    net = boosting.boost(models.markov_lm(1, [F(1, 3), F(3, 4)]), models.pattern_distinguisher(2, ["11"]),
                         k=2, r=1, factor=F(3, 4), N=6)
    wide = Fixed(30, 40)                                         # 71 bits: numba refuses
    assert wbits.fixed_engine(net, wide, 3) == "reference"       # small: the reference, by name
    monkeypatch.setattr(wbits, "REFERENCE_MAX_WORK", 10)
    with pytest.raises(wbits.Refused, match="numba refuses"):
        wbits.fixed_engine(net, wide, 6)
    row = theorem2.round_bits(net, F(1, 2 ** 12), N=6, engine="reference", measure=False)
    assert row.refused is None and row.engine == "reference"     # explicit reference is never refused


def test_analysis_only_row_is_what_reports_call(rows_k2):
    ch, rows = rows_k2
    row = theorem2.round_bits(ch.nets[1], simulate=False)
    assert (row.int_claimed, row.frac_claimed, row.int_closed, row.frac_closed) == \
        (rows[1].int_claimed, rows[1].frac_claimed, rows[1].int_closed, rows[1].frac_closed)
    assert row.measured_error is None and row.ok


def test_cli_prints_the_slack_table(capsys):
    assert cli_main(["bits", "--rounds", "1", "--N", "5", "--no-simulate", "--eps", "0.1"]) == 0
    out = capsys.readouterr().out
    assert "| round | τ | i: measured ≤ claimed ≤ Claim 9 |" in out and "| 1 | 20 |" in out
    assert "Claim 11 / Algorithm 2 sequences" in out and "Theorem 2 bound" in out


def test_cli_bad_input_is_one_line(capsys):
    assert cli_main(["bits", "--delta", "-1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("rnnsim: error:")


@pytest.mark.slow
@pytest.mark.parametrize("k,rounds,N", [(3, 2, 6), (2, 3, 7)])
def test_more_rounds_meet_every_check(k, rounds, N):
    ch = theorem2.build_chain(k, rounds, N)
    for r in theorem2.chain_rows(ch):
        assert r.ok, r
