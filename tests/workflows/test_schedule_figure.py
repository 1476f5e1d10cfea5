"""Schedule figures (workflows.schedule_figure; Lemma 10 controls of Lemma 11; paper Figures 2.2/2.3): the recorded
LOAD/RUN/HOLD decisions equal the paper's description of the loops, a gated network's
recorded schedule is the schedule that drives it, and the CLI entry point prints t(i, n, m)
and writes a readable PNG."""

from __future__ import annotations

import json
from fractions import Fraction

import matplotlib.image as mpimg
import pytest

from rnnsim import Builder, Node
from constructions import enumeration, gating, models
from tests.constructions.controls import schedule_control
from workflows import schedule_figure as schedule

pytestmark = pytest.mark.lemma("Lemma 10", "Lemma 11")


def paper_rows(k, tau, r, N):
    """H1/H2/O rows from the paper's description of one input loop of τ_S = (2^k+1)·k·P steps:
    every digit slot has P = τ+1 steps (P = 3 if k = τ = 1); step 0 LOADs H2 at the first digit
    of each string (else HOLD), steps 1..τ RUN H2 and O, the rest HOLD; in the final phase
    (string 2^k) only the digits d ≤ ℓ run, and H1 runs with them exactly when the anchor
    moves on at the end of this loop (i < r or ℓ = k−1)."""
    P = max(tau + 1, 3) if k == 1 else tau + 1
    tS = (2 ** k + 1) * k * P
    h1 = h2 = o = ""
    for i in range(1, N + 1):
        ell = 0 if i < r else (i - r) % k
        moves = i < r or ell == k - 1
        for s in range(tS):
            c, g = s % P, s // P
            d, n = g % k, g // k
            active = n < 2 ** k or d <= ell
            run = 1 <= c <= tau and active
            h2 += "L" if (c == 0 and d == 0) else ("R" if run else "H")
            o += "R" if run else "H"
            h1 += "R" if (run and n == 2 ** k and moves) else "H"
    return {"H1": h1, "H2": h2, "O": o}


@pytest.mark.parametrize("k,tau,r,N", [(2, 1, 1, 3), (2, 2, 2, 4), (1, 1, 1, 3), (3, 1, 2, 3)])
def test_recorded_enumeration_schedule_is_the_papers(k, tau, r, N):
    R = models.markov_lm(1, [Fraction(1, 4), Fraction(3, 4)], tau=tau)
    S = enumeration.synchronized_enumeration(R, k, r, N)
    rec = schedule.record(S, [1, 0, 1, 1][:N])
    want = paper_rows(k, tau, r, N)
    for g in ("H1", "H2", "O"):
        assert rec.row(g) == want[g], g
    assert rec.actions.shape[1] == N * S.tau


def test_recorded_schedule_of_a_gated_network_is_its_driving_schedule():
    b = Builder("r", tau=2)
    x = b.input("x")
    u = b.node("u", init=1)
    b.update(u, u + x)
    b.output(u)
    R = b.build()
    sched = "LRRHRLHHRL"
    aug, _ = gating.augment(R, schedule_control(sched + "H", 2, False), sources={"u": Node("c")})
    rec = schedule.record(aug, [1, 0, 1, 1, 0])
    assert rec.groups == ["ctl"]
    assert rec.row("ctl") == sched


def test_controls_that_are_not_one_hot_are_reported_with_group_and_time():
    b = Builder("bad")
    x = b.input("x")
    for c in ("p.load", "p.run", "p.hold"):
        b.node(c, init=int(c == "p.run"), update=x if c != "p.load" else 0)
    b.node("o", update=x)
    b.output("o")
    with pytest.raises(ValueError, match=r"group 'p' at time 1"):
        schedule.record(b.build(), [1, 1])


def test_main_prints_the_output_schedule_and_writes_a_png(tmp_path, capsys):
    png = tmp_path / "sched.png"
    assert schedule.main(["--k", "2", "--r", "2", "--N", "3", "--tau", "2", "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "τ_S=30" in out                       # (2^2 + 1)·2·3
    # i = 3 ≥ r: anchor j = 3 − ((3 − 2) mod 2) = 2, ℓ = 1; t(3, 0, m) = 2·30 + (m + 1)·3
    assert any(line.split()[:4] == ["3", "2", "1", "0"] and line.split()[4:] == ["63", "66"]
               for line in out.splitlines())
    img = mpimg.imread(png)
    assert img.shape[0] > 200 and img.shape[1] > 600
    # the three action colours are present (red LOAD, green RUN, grey HOLD)
    rgb = (img[..., :3] * 255).round().astype(int).reshape(-1, 3).tolist()
    colours = {tuple(c) for c in rgb}
    assert {(214, 39, 40), (44, 160, 44), (217, 217, 217)} <= colours


def test_main_json_lists_every_output_time():
    import io
    import contextlib

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        schedule.main(["--k", "1", "--N", "2", "--json", "--model", "pattern"])
    data = json.loads(buf.getvalue())
    assert data["schedule"]["tau_S"] == 3 * 1 * 3          # k = T = 1: P = 3
    times = [t for row in data["outputs"] for t in row["t"]]
    assert times == sorted(times)
    assert len(times) == 2 * (2 + 1)                       # per loop: 2 strings + final phase (ℓ = 0)


def test_main_rejects_bad_loops(tmp_path):
    with pytest.raises(SystemExit):
        schedule.main(["--N", "2", "--png", str(tmp_path / "x.png"), "--loops", "3:4"])
