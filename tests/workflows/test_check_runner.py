"""``rnnsim check`` (workflows.check_runner): the table, the exit status, failure reporting."""

from __future__ import annotations

import pytest

from workflows import check_runner as runner


@pytest.mark.lemma("Lemma 1", "Lemma 2", "Lemma 4", "Lemma 5", "Lemma 6", "Lemma 13", "Lemma 14", "Lemma 15",
                   "Lemma 16", "Theorem 3", "§3 advantage", "Appendix B")
def test_every_check_passes_on_a_batch_and_main_exits_zero(capsys):
    assert runner.main(["--instances", "15", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    for lemma, name, _, _ in runner.CHECKS:
        assert name in out
    assert f"{len(runner.CHECKS)}/{len(runner.CHECKS)} checks passed" in out
    assert "FAIL" not in out


def test_a_false_statement_fails_with_its_instance_and_a_non_zero_exit(monkeypatch, capsys):
    def false_bound(rng):          # "0 ≤ x − 1/2 for x uniform in [0, 1]" is false
        x = float(rng.random())
        return x - 0.5, f"x={x:.3f}"

    def crashing(rng):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(runner, "CHECKS", [("Test 1", "false bound", false_bound, 0),
                                           ("Test 2", "crash", crashing, 0)])
    rows = runner.run_checks(20, 0)
    assert [r["passed"] for r in rows] == [False, False]
    assert rows[0]["worst_slack"] < 0 and rows[0]["worst_instance"].startswith("x=")
    assert rows[1]["error"] == "ZeroDivisionError: boom"
    assert runner.main(["--instances", "20"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "boom" in out and "0/2 checks passed" in out


def test_only_selects_checks_and_rejects_an_unknown_one(capsys):
    rows = runner.run_checks(3, 0, only="Lemma 2")
    assert {r["lemma"] for r in rows} == {"Lemma 2"}
    assert runner.main(["--only", "no such lemma"]) == 2


def test_the_identity_checks_fail_on_a_false_identity_and_pass_on_a_true_one():
    import numpy as np

    rng = np.random.default_rng(0)
    assert runner._identity_exact(rng, lambda p, q: (1, 2))[0] == -1
    assert runner._identity_exact(rng, lambda p, q: (3, 3))[0] == 0
    slack, inst = runner._identity_float(rng, lambda p, q: 0.5)
    assert slack < 0 and slack == -0.5 / (1 + inst.N * runner.td.next_token_loss(inst.p, inst.q))
    assert runner._identity_float(rng, lambda p, q: 0.0)[0] == 0
