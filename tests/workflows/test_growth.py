"""workflows.growth (``rnnsim growth``): the closed forms of Lemma 3 / Section 2.1 over rounds
against the built networks, the fits, the table, the figure and the CLI."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constructions import boosting, families, models
from rnnsim import ConstructionError
from rnnsim.cli import main as cli
from workflows import growth as G


@pytest.fixture(scope="module")
def study():
    """Mixed class (τ_D ∈ {1, 2, 3}, so V and P change from round to round), 6 rounds, k = 1…4,
    both constructions; every round of at most 320 nodes is built, the rest is closed form."""
    return G.growth((1, 2, 3, 4), 6, cls="mixed", max_nodes=320, progress=False)


@pytest.mark.lemma("Lemma 3", "Section 2.1", "Theorem 1")
def test_closed_forms_equal_built_networks_k1_to_4_six_rounds_mixed_class(study):
    rep = study
    assert not rep.failures
    for k in (1, 2, 3, 4):
        for kind in ("boost", "boost_simple"):
            rows = [r for r in rep.rows if r.k == k and r.construction == kind]
            assert [r.t for r in rows] == list(range(7))
            built = [r for r in rows if r.mode == "built" and r.t > 0]
            assert len(built) >= 2 and all(r.matches for r in built)
            assert {r.tau_D for r in rows[1:4]} == {1, 2, 3}
    assert any(r.mode == "closed form" for r in rep.rows)
    # boost_simple: the size at least doubles every round; boost: the hidden size grows by
    # |H_D| + 2k + 20 once τ_R ≠ τ_D (every round after the first here)
    for k in (1, 2, 3, 4):
        s = [r.size for r in rep.rows if r.k == k and r.construction == "boost_simple"]
        assert all(b >= 2 * a for a, b in zip(s[1:], s[2:]))
        C = G.DistinguisherClass.named("mixed", k)
        h = [r for r in rep.rows if r.k == k and r.construction == "boost"]
        for t in range(2, 7):
            D = C.network((t - 1) % len(C))
            assert h[t].hidden - h[t - 1].hidden == D.hidden_size + 2 * k + 20


def test_next_counts_equals_the_builders_for_both_period_cases():
    """V = 1 (τ_R = τ_D) and V = 2, k = 1 (slot length 3) and k = 3, both constructions; the
    depth set by the distinguisher's gated depth (bracket, τ 2: 4 > the k = 1 skeleton's 3)."""
    for k, lm, D in ((1, models.uniform_lm(2), models.parity_distinguisher(1)),
                     (3, models.markov_lm(2, [0.5] * 4, tau=2), models.repeat_distinguisher(3, tau=2)),
                     (3, models.uniform_lm(2), families.mixed(3)[2].build()),
                     (1, models.uniform_lm(2), models.bracket_distinguisher(1, 2, tau=2))):   # D's gated depth 4 > 3
        for simple in (False, True):
            fn = boosting.boost_simple if simple else boosting.boost
            net = fn(lm, D, k=k, r=1, eta=0.2, N=k + 2)
            assert G.next_counts(G.Counts.of(lm), G.Counts.of(D), k, simple=simple) == G.Counts.of(net)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 4), st.integers(1, 400), st.integers(0, 100), st.integers(1, 10 ** 6), st.integers(1, 9),
       st.integers(0, 8), st.integers(1, 4))
def test_lemma3_bounds_dominate_the_closed_forms(k, size, hidden, tau, dsize, dhidden, dtau):
    hidden = min(hidden, size - 1)
    dhidden = min(dhidden, dsize - 1)
    R = G.Counts(size, hidden, tau, 3, 3)
    D = G.Counts(dsize, dhidden, dtau, 2, 2)
    exact, bound = G.next_counts(R, D, k), G.lemma3_bounds(R, D, k)
    assert exact.size <= bound.size and exact.hidden <= bound.hidden and exact.tau <= bound.tau


def test_a_wrong_closed_form_is_reported(monkeypatch):
    real = G.next_counts

    def off_by_one(R, D, k, *, simple=False):
        c = real(R, D, k, simple=simple)
        return G.Counts(c.size, c.hidden + (1 if R.tau > 1 else 0), c.tau, c.depth, c.gated_depth)

    monkeypatch.setattr(G, "next_counts", off_by_one)
    rep = G.growth((2,), 3, max_nodes=300, simple=False, progress=False)
    assert rep.failures and "round 2" in rep.failures[0]


def test_fits_against_the_closed_forms(study):
    rep = study
    by = {(f.k, f.quantity): f for f in rep.fits}
    for k in (2, 3):
        assert by[(k, "hidden")].fitted == pytest.approx(by[(k, "hidden")].closed_form, rel=0.05)
        assert by[(k, "size")].fitted == pytest.approx(by[(k, "size")].closed_form, rel=0.1)
        assert by[(k, "tau")].fitted == pytest.approx((2 ** k + 1) * k, rel=0.05)
        assert 2 <= by[(k, "simple size")].fitted < 2.5
        assert by[(k, "hidden")].max_rel_residual < 0.05


def test_hooks_add_columns_and_markdown():
    rep = G.growth((1,), 2, max_nodes=200, progress=False,
                   hooks=[lambda row, net: {"built?": net is not None}])
    text = G.markdown(rep)
    assert "| built? |" in text.splitlines()[0]
    assert all("built?" in r.extra for r in rep.rows)
    assert "| 1 | hidden | linear (slope) |" not in text      # fewer than 3 rounds: no fit


def test_cli_growth_table_json_and_figure(tmp_path, capsys):
    png, js = tmp_path / "g.png", tmp_path / "g.json"
    rc = cli(["growth", "--k", "1", "2", "--rounds", "3", "--max-nodes", "150", "--plot", str(png),
              "--json", str(js), "--no-progress"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "| k | round | construction |" in out and "geometric (ratio per round)" in out
    assert png.stat().st_size > 10_000
    data = json.loads(js.read_text())
    assert data["ok"] and len(data["rows"]) == 2 * 2 * 4
    assert {r["mode"] for r in data["rows"]} == {"built", "closed form"}


def test_growth_bad_input_on_the_command_line(capsys):
    assert cli(["growth", "--rounds", "0", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rnnsim: error: rounds must be a positive integer") and len(err.strip().splitlines()) == 1
    assert cli(["growth", "--k", "x"]) == 2


def test_growth_bad_input():
    with pytest.raises(ConstructionError, match="rounds"):
        G.growth((2,), 0)
    with pytest.raises(ConstructionError, match="unknown distinguisher class"):
        G.growth((2,), 2, cls="nothing")
