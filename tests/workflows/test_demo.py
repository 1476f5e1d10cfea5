"""``rnnsim demo`` (workflows.demo): one boosting round end to end (Lemmas 1, 2, 3)."""

from __future__ import annotations

import itertools
import json
from fractions import Fraction

import numpy as np
import pytest

from constructions import models
from proofs_checks.advantage import advantage
from proofs_checks.textdist import LM, next_token_loss
from rnnsim import all_documents
from workflows import demo

pytestmark = pytest.mark.lemma("Lemma 1", "Lemma 2", "Lemma 3")

ROWS = [
    "advantage α", "fixed format for \\|q̃ − q'\\| ≤ δ", "(a) fixed-point overflow", "(b) max \\|q̃ − q'\\|",
    "(c) L_p(q̃) − L_p(q')", "(d) integer bits", "max \\|R'(x_≤i) − q'(x_i\\|x_<i)\\|", "next-token loss L_p(q) before",
    "next-token loss L_p(q') after", "KL(p‖q) before", "KL(p‖q') after",
    "guarantee η·S_r − (η−1+e^−η)·n_r", "guarantee α²·M/(2k)", "size \\|R'\\|",
    "hidden size \\|H_R'\\|", "RNN-time τ'", "depth",
]


def test_main_runs_end_to_end_prints_the_table_and_writes_json(tmp_path, capsys):
    out = tmp_path / "demo.json"
    rc = demo.main(["--N", "6", "--k", "2", "--json", str(out)])
    text = capsys.readouterr().out
    assert rc == 0
    lines = text.splitlines()
    assert lines[0] == "| quantity | value | bound / guarantee | check |"
    table = [ln for ln in lines if ln.startswith("| ")]
    for row in ROWS:
        assert any(ln.startswith(f"| {row}") for ln in table), row
    # every table line has exactly 4 cells (pipes inside cells are escaped)
    for ln in table:
        assert len(ln.replace("\\|", "").strip("|").split("|")) == 4, ln
    assert "✗" not in text
    data = json.loads(out.read_text())
    assert data["ok"] and data["failures"] == []
    assert data["max_abs_error"] <= demo.TOL
    assert data["kl_gain"] >= data["bound_lemma1"] - 1e-12
    assert data["kl_gain"] >= data["bound_alpha"] - 1e-12
    assert data["size"]["value"] == data["size"]["claimed"] <= data["size"]["bound"]


@pytest.mark.parametrize("N,k,seed,delta", [(7, 3, None, Fraction(1, 2 ** 10)), (6, 2, 2, None), (7, 3, 5, None)])
def test_demo_checks_pass_and_the_boosted_loss_decreases_by_the_guarantee(N, k, seed, delta):
    res = demo.run(N, k, seed=seed, delta=delta)
    assert res.failures == []
    n = res.numbers
    assert n["max_abs_error"] <= 1e-9
    assert n["loss_after"] < n["loss_before"]
    assert n["kl_before"] - n["kl_after"] >= max(n["bound_lemma1"], n["bound_alpha"]) - 1e-12
    # Lemma 6: the loss difference is the KL difference over N
    assert abs((n["loss_before"] - n["loss_after"]) - (n["kl_before"] - n["kl_after"]) / N) < 1e-12
    if delta:  # Lemma 12: the chosen format's proved and measured errors are within δ
        assert n["fixed"]["proved_error"] <= float(delta)
        assert n["fixed_max_error"] <= n["fixed"]["proved_error"]
        assert n["measured_int_bits"] <= n["fixed"]["int_bits"]


def test_a_wrong_boosted_network_makes_the_demo_fail(monkeypatch, capsys):
    # the base Markov network is not the boosted LM: the exhaustive Lemma 2 check must catch it
    res = demo.run(6, 2, boost_fn=lambda pr, r, eta: pr.lm_net)
    assert any("Lemma 2" in f for f in res.failures)
    assert any(row[1].startswith("skipped") for row in res.rows)
    monkeypatch.setattr(demo, "build_boosted", lambda pr, r, eta: pr.lm_net)
    assert demo.main(["--N", "6", "--k", "2"]) == 1
    assert "FAILED" in capsys.readouterr().err


def test_bad_parameters_exit_with_code_2(capsys):
    assert demo.main(["--N", "6", "--k", "7"]) == 2
    assert "window k" in capsys.readouterr().err


def test_the_true_distribution_never_contains_the_motif():
    pr = demo.default_problem(8, 3)
    docs = all_documents(2, 8)
    has = np.array([any(tuple(d[i:i + 3]) == (1, 1, 1) for i in range(6)) for d in docs])
    probs = np.array([float(v) for v in pr.p.probs])
    assert probs[has].sum() == 0 and abs(probs.sum() - 1) < 1e-12
    # and the base model does produce it: that is what the distinguisher sees
    assert pr.q.text()[has].sum() > 0.1


def test_best_markov_fit_has_the_least_loss_among_order_1_chains():
    pr = demo.default_problem(7, 2, seed=3)
    best = next_token_loss(pr.p, pr.q)
    rng = np.random.default_rng(0)
    grid = [Fraction(i, 8) for i in range(1, 8)]
    others = list(itertools.product(grid, grid)) + [
        (pr.q_table[(0,)] + Fraction(int(a), 1000), pr.q_table[(1,)] + Fraction(int(b), 1000))
        for a, b in rng.integers(-5, 6, size=(10, 2))]
    for t0, t1 in others:
        q = LM.from_callable(models.markov_q(1, [t0, t1]), 2, 7)
        assert next_token_loss(pr.p, q) >= best - 1e-12


def test_best_patterns_maximize_the_advantage_over_all_window_pattern_sets():
    pr = demo.default_problem(6, 2)
    chosen = advantage(pr.p, pr.q, pr.d, k=2).alpha
    words = list(itertools.product((0, 1), repeat=2))
    for r in range(len(words) + 1):
        for P in itertools.combinations(words, r):
            a = advantage(pr.p, pr.q, models.pattern_d(2, P), k=2).alpha if P else 0
            assert a <= chosen
