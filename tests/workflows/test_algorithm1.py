"""Algorithm 1 and Lemma 4 on the exact family of inhomogeneous Markov LMs, and the Lemma 3 →
Lemma 4 chain on networks (paper: Lemma 4, Algorithm 1, Theorem 1; THEORY §9)."""

from __future__ import annotations

import math
from fractions import Fraction

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import rnnsim
from constructions import models
from constructions.markov_family import inhomogeneous_markov_lm, inhomogeneous_markov_q
from constructions.size_classes import SizeClass, class_sequence, distinguisher_bound
from proofs_checks.advantage import advantage
from proofs_checks.lm import LM, Distribution
from proofs_checks.textdist import entropy, next_token_loss
from rnnsim import all_documents, simulate_all
from rnnsim.strings import all_strings
from workflows import algorithm1
from workflows.classes import DistinguisherClass
from workflows.chain import chain
from workflows.exact_family import MarkovFamily, gain, lemma4_exact, least_order, markov_minimizer

F = Fraction


def _random_p(seed: int, N: int) -> Distribution:
    rng = np.random.default_rng(seed)
    w = rng.integers(0, 6, size=2 ** N)
    w[rng.integers(0, 2 ** N)] += 1
    return Distribution([F(int(v), int(w.sum())) for v in w], 2, N)


def _all_pattern_sets_max(p, q, k):
    """max over every pattern set P ⊆ Σ^k of α(d_P), by brute force (no additivity)."""
    ws = all_strings(k)
    best = None
    for mask in range(2 ** len(ws)):
        P = {w for i, w in enumerate(ws) if mask >> i & 1}
        a = advantage(p, q, lambda j, x, P=P: int(tuple(x[j - 1:j - 1 + k]) in P), k=k).alpha
        best = a if best is None else max(best, a)
    return best


# ---- the exact family ----------------------------------------------------------------------------

@pytest.mark.lemma("Lemma 4")
@pytest.mark.parametrize("order,N", [(0, 3), (1, 4), (2, 4), (3, 3)])
def test_inhomogeneous_markov_network_computes_its_table_on_every_document(order, N):
    p = _random_p(order * 10 + N, N)
    tables, _ = markov_minimizer(p, order)
    net = inhomogeneous_markov_lm(order, tables, N)
    q = inhomogeneous_markov_q(order, tables, N)
    out = simulate_all(net, N, "exact", engine="reference", raw=True)
    for d, x in enumerate(all_documents(2, N)):
        for m in range(1, N + 1):
            assert out[d, m - 1] == q(tuple(int(t) for t in x[:m - 1]))[int(x[m - 1])]
    assert (net.size, net.hidden_size, net.tau, net.depth) == (N + order + 2, N + order, 1, 1)


@pytest.mark.lemma("Lemma 4")
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10 ** 6), order=st.integers(0, 3))
def test_the_exact_minimizer_beats_every_perturbed_table_and_reaches_the_entropy_at_order_N_minus_1(seed, order):
    N = 4
    p = _random_p(seed, N)
    tables, L = markov_minimizer(p, order)
    lm = LM.from_callable(inhomogeneous_markov_q(order, tables, N), 2, N)
    assert L == pytest.approx(next_token_loss(p, lm), abs=1e-12)
    rng = np.random.default_rng(seed)
    pert = [{c: min(max(v + F(int(rng.integers(-3, 4)), 40), F(1, 50)), F(49, 50)) for c, v in t.items()} for t in tables]
    assert next_token_loss(p, LM.from_callable(inhomogeneous_markov_q(order, pert, N), 2, N)) >= L - 1e-12
    if order >= N - 1:
        assert L == pytest.approx(entropy(p) / N, abs=1e-12)
    assert least_order(lm) <= order


@pytest.mark.lemma("Lemma 4")
@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10 ** 6), k=st.integers(1, 3), eps=st.sampled_from([0.005, 0.01, 0.03, 0.08]),
       N=st.integers(3, 5))
def test_lemma4_on_the_exact_family_for_random_sources_and_eps(seed, k, eps, N):
    """Lemma 4's conclusion and |B| ≤ L*_0/g(ε), recomputed here from the losses and from a
    brute-force maximum over every pattern set (k ≤ 2), not read from the report."""
    k = min(k, N)
    p = _random_p(seed, N)
    rep = lemma4_exact(p, k, eps)
    assert rep.ok, rep.failures
    fam = MarkovFamily(p, k)
    losses = [fam.minimize(m).loss for m in range(fam.saturation + 2)]
    assert all(b <= a + 1e-12 for a, b in zip(losses, losses[1:]))
    g = eps ** 2 * (N - k + 1) / (2 * k * N)
    B = [m for m in range(fam.saturation + 1) if losses[m] - losses[m + 1] > g]
    assert len(B) <= losses[0] / g
    for m in range(fam.saturation + 1):
        if m in B:
            continue
        q = fam.minimize(m).lm
        mx = _all_pattern_sets_max(p, q, k) if k <= 2 else DistinguisherClass.named("patterns", k).best(p, q).alpha
        assert mx <= eps + 1e-12, (m, float(mx))
    for r in rep.rows:                       # the certificate L*_m+1 ≤ L(boost(q*_m)) ≤ L*_m − g(α)
        if r.boosted_loss is not None:
            assert losses[r.m + 1] <= r.boosted_loss + 1e-9 <= r.loss - gain(r.max_alpha, k=k, N=N) + 2e-9


@pytest.mark.lemma("Lemma 4")
def test_pattern_set_maximum_by_additivity_equals_brute_force():
    p = _random_p(3, 4)
    q = LM.uniform(2, 4)
    for k in (1, 2):
        ch = DistinguisherClass.named("patterns", k).best(p, q)
        d, a = ch.table, ch.alpha
        assert a == _all_pattern_sets_max(p, q, k)
        assert advantage(p, q, d, k=k).alpha == a


# ---- Algorithm 1 ---------------------------------------------------------------------------------

@pytest.mark.lemma("Algorithm 1")
def test_algorithm1_from_a_given_start_stops_at_the_first_small_decrease_and_reports_the_output():
    p = algorithm1.default_source(6)
    fam = MarkovFamily(p, 2)
    rep = algorithm1.run(fam, p, k=2, eps=0.05, m0=0)
    g = 0.05 ** 2 * 5 / (2 * 2 * 6)
    assert rep.g_eps == pytest.approx(g) and rep.T == math.ceil(10 * math.log(2) / g)
    losses = [fam.minimize(m).loss for m in range(8)]
    want = next(m for m in range(7) if losses[m] - losses[m + 1] <= g)
    assert rep.m_stop == want and rep.visits[-1].stop and not any(v.stop for v in rep.visits[:-1])
    assert rep.output_loss == losses[want]
    assert rep.output_network["max_error"] <= 1e-12 and rep.output_network["size"] == 6 + fam.order(want) + 2
    assert rep.output_alpha <= rep.eps or want in rep.bad
    assert rep.ok, rep.failures
    assert "stop index" in rep.markdown()


@pytest.mark.lemma("Algorithm 1")
@pytest.mark.parametrize("ratio,stops", [(1.25, True), (1.0, True), (0.8, False)])
def test_algorithm1_stop_rule_at_its_boundary(ratio, stops):
    """ε chosen so that g(ε) = ratio · (L*_m − L*_m+1) for a class with a positive decrease:
    Algorithm 1 started there stops at once exactly when the decrease is ≤ g(ε)."""
    p = algorithm1.default_source(6, "1011")
    fam = MarkovFamily(p, 2)
    losses = [fam.minimize(m).loss for m in range(7)]
    m = next(i for i in range(6) if losses[i] - losses[i + 1] > 1e-6)
    drop = losses[m] - losses[m + 1]
    eps = math.sqrt(ratio * drop * 2 * 2 * 6 / 5) * (1 + 1e-9 if ratio == 1.0 else 1)
    rep = algorithm1.run(fam, p, k=2, eps=eps, m0=m, sweep=False)
    assert rep.visits[0].stop is stops and (rep.m_stop == m) is stops


@pytest.mark.lemma("Algorithm 1")
def test_algorithm1_random_start_is_uniform_on_1_to_T_and_seeded():
    p = algorithm1.default_source(5)
    fam = MarkovFamily(p, 2)
    a = algorithm1.run(fam, p, k=2, eps=0.1, seed=7, sweep=False)
    b = algorithm1.run(fam, p, k=2, eps=0.1, seed=7, sweep=False)
    assert a.m0 == b.m0 and 1 <= a.m0 <= a.T
    assert a.m0 == int(np.random.default_rng(7).integers(1, a.T + 1))


@pytest.mark.lemma("Algorithm 1")
@pytest.mark.parametrize("bad,match", [(dict(eps=0), "ε must be > 0"), (dict(eps=-0.1), "ε must be > 0"),
                                       (dict(k=9), "window k")])
def test_algorithm1_bad_input(bad, match):
    p = algorithm1.default_source(5)
    args = dict(k=2, eps=0.1) | bad
    with pytest.raises(rnnsim.ConstructionError, match=match):
        algorithm1.run(MarkovFamily(p, 2), p, **args)
    with pytest.raises(rnnsim.ConstructionError, match="ε must be > 0"):
        lemma4_exact(p, 2, 0)


@pytest.mark.lemma("Algorithm 1")
def test_cli_algorithm1_prints_the_tables_writes_the_figure_and_refuses_eps_zero(tmp_path, capsys):
    from rnnsim.cli import main

    png = tmp_path / "a1.png"
    assert main(["algorithm1", "--N", "6", "--k", "2", "--m0", "1", "--plot", str(png), "--json", str(tmp_path / "a.json")]) == 0
    out = capsys.readouterr().out
    assert "### Algorithm 1" in out and "| m ∈ B |" in out and "all checks passed" in out
    assert png.stat().st_size > 10_000
    assert main(["algorithm1", "--eps", "0"]) == 1
    assert "rnnsim: error: --eps must be > 0" in capsys.readouterr().err


# ---- the chain on networks -----------------------------------------------------------------------

def _noisy_source(N):
    return LM.from_callable(models.motif_pfa((1, 1, 1), "avoid", noise=F(1, 10)), 2, N).distribution()


@pytest.mark.lemma("Lemma 4", "Lemma 3")
@pytest.mark.parametrize("k,N", [(2, 5), pytest.param(3, 4, marks=pytest.mark.slow)])
def test_chain_passes_for_three_rounds_of_iterate(k, N):
    p = _noisy_source(N)
    lm0 = models.markov_lm(1, [F(1, 2), F(1, 2)])
    rep = chain(p, lm0, k=k, rounds=3)
    assert rep.ok, rep.failures
    assert len(rep.links) == 3 and all(l.boosted_loss is not None for l in rep.links)
    for l in rep.links:                           # recomputed here from the link's numbers
        assert l.boosted_loss <= l.loss - l.alpha ** 2 * (N - k + 1) / (2 * k * N) + 1e-9
        assert l.lemma2_error <= 1e-9 and l.member and l.next_member
        assert l.factor == Fraction(math.exp(-l.alpha))            # Lemma 1's η = α


@pytest.mark.lemma("Lemma 4")
def test_chain_fails_on_an_undersized_class_naming_the_bound():
    p = _noisy_source(5)
    lm0 = models.markov_lm(1, [F(1, 2), F(1, 2)])
    D = [models.pattern_distinguisher(2, ["11"]), models.pattern_distinguisher(2, ["00", "01", "10"])]
    cs = class_sequence(SizeClass.of(lm0), distinguisher_bound(D), 2, 2)
    # boost's hidden set is |H_R| + |H_D| + 2k + 10 + 5V = 1 + 1 + 4 + 15 = 21 here (the class
    # bound allows 26); a class with one hidden node fewer than that cannot hold it
    small = SizeClass(cs[1].size, 1 + 1 + 2 * 2 + 15 - 1, cs[1].time, cs[1].depth, cs[1].ops)
    rep = chain(p, lm0, k=2, rounds=1, dclass=D, classes=[cs[0], small])
    assert not rep.ok
    assert any("hidden size" in f and f"> {small.hidden}" in f for f in rep.failures)


@pytest.mark.lemma("Lemma 4")
def test_chain_refuses_a_start_class_too_small_for_the_start_model():
    lm0 = models.markov_lm(2, [F(1, 2)] * 4)
    with pytest.raises(rnnsim.ConstructionError, match="not a member of C_0"):
        chain(_noisy_source(4), lm0, k=2, rounds=1, classes=[SizeClass(3, 1, 1, 1, 8), SizeClass(90, 40, 40, 5, 90)])
