"""Theorem 3, Lemmas 13–16 and the Lemma 4 / Algorithm 1 bookkeeping on random instances."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs_checks import advantage as adv
from proofs_checks import bounds as bd
from proofs_checks import textdist as td
from rnnsim import all_documents
from tests.proofs_checks.strategies import instances, record

TOL = 1e-12
seeds = st.integers(0, 2 ** 32 - 1)


@pytest.mark.lemma("Theorem 3", "Lemma 17")
@settings(max_examples=40, deadline=None)
@given(instances(exact=False, max_docs=729))
def test_theorem3_advantage_at_most_sqrt_k_kl_over_2M(inst):
    t = bd.theorem3(inst.p, inst.q, inst.d, k=inst.k)
    record("Theorem 3 sqrt(kKL/2M) − |α|", t.slack)
    assert abs(t.alpha) <= t.bound + TOL
    # the proof's steps: |A_j| ≤ E TV ≤ sqrt(K_j/2) per window, Σ_j K_j ≤ k·KL
    assert min(t.window_gap) >= -TOL
    assert t.chain_gap >= -1e-12 * (1 + t.kl)


@pytest.mark.lemma("Theorem 3")
def test_theorem3_is_nearly_tight_for_a_single_token():
    """N = k = 1, d = 1[x = 0], q = (1/2 + e, 1/2 − e), p uniform: |α| = e and
    sqrt(KL/2) = e·(1 + O(e²)) — the bound cannot be improved by a constant factor."""
    e = 1e-3
    p = td.Distribution(np.array([0.5, 0.5]), 2, 1)
    q = td.LM([np.array([[0.5 + e, 0.5 - e]])], 2)
    d = adv.DistTable([np.array([1, 0])], 2, 1, 1)
    t = bd.theorem3(p, q, d, k=1)
    assert abs(t.alpha) == pytest.approx(e, rel=1e-9)
    assert t.bound / abs(t.alpha) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.lemma("Lemma 13")
@settings(max_examples=200, deadline=None)
@given(seeds, st.integers(1, 12), st.floats(0, 0.5))
def test_lemma13_product_difference_at_most_m_delta(seed, m, delta):
    a, b = bd.random_lemma13(np.random.default_rng(seed), m, delta)
    diff, bound = bd.lemma13(a, b)
    record("Lemma 13 mδ − |Πa − Πb|", bound - diff)
    assert diff <= bound + TOL


@pytest.mark.lemma("Lemma 13")
def test_lemma13_exact_and_asymptotically_tight():
    a = [Fraction(1)] * 5
    b = [Fraction(999, 1000)] * 5
    diff, bound = bd.lemma13(a, b)
    assert diff <= bound and bound - diff < Fraction(1, 10 ** 4)


@pytest.mark.lemma("Lemma 14")
@settings(max_examples=200, deadline=None)
@given(seeds)
def test_lemma14_ratio_perturbation_at_most_2delta_over_mu_minus_delta(seed):
    diff, bound = bd.lemma14(*bd.random_lemma14(np.random.default_rng(seed)))
    record("Lemma 14 2δ/(μ−δ) − |ã/b̃ − a/b|", bound - diff)
    assert diff <= bound + TOL


@pytest.mark.lemma("Lemma 14")
def test_lemma14_is_tight():
    mu, delta = Fraction(1, 4), Fraction(1, 100)
    diff, bound = bd.lemma14(mu, mu, mu + delta, mu - delta, mu)
    assert diff == bound
    with pytest.raises(ValueError, match="needs"):
        bd.lemma14(Fraction(1, 2), Fraction(1, 2), Fraction(1, 2), Fraction(1, 4), Fraction(1, 5))


@pytest.mark.lemma("Lemma 15")
@settings(max_examples=25, deadline=None)
@given(instances(exact=True, max_docs=81), st.data(),
       st.fractions(Fraction(1, 20), Fraction(19, 20), max_denominator=20))
def test_lemma15_boosted_model_stays_above_mu_times_weight(inst, data, w):
    r = data.draw(st.integers(1, inst.k))
    mu = min(v for lv in inst.q.levels for v in lv.reshape(-1))
    gap, low, bound = bd.lemma15(inst.q, inst.d, k=inst.k, r=r, mu=mu, factor=w)
    record("Lemma 15 min q' − μe^−η (exact)", low - bound)
    assert gap >= 0 and low >= bound


@pytest.mark.lemma("Lemma 16")
@settings(max_examples=60, deadline=None)
@given(seeds, st.integers(2, 3), st.integers(1, 5), st.booleans())
def test_lemma16_loss_increase_at_most_minus_log_one_minus_delta_over_mu(seed, b, N, tight):
    p, qt, qp, mu = bd.random_lemma16(np.random.default_rng(seed), b, N, tight=tight)
    diff, bound, delta = bd.lemma16(p, qt, qp, mu)
    record("Lemma 16 −log(1−δ/μ) − ΔL", bound - diff)
    assert diff <= bound + TOL
    if tight:
        assert diff == pytest.approx(bound, rel=1e-12, abs=1e-15)
    if mu >= 2 * delta:
        assert bound <= 2 * delta / mu + TOL


@pytest.mark.lemma("Lemma 4")
@settings(max_examples=200, deadline=None)
@given(seeds, st.integers(1, 60), st.floats(0.001, 3))
def test_lemma4_monotone_losses_have_at_most_L0_over_eps_bad_indices(seed, n, eps):
    L = bd.random_monotone(np.random.default_rng(seed), n)
    count, bound = bd.lemma4_count(L, eps)
    record("Lemma 4 L0/ε − #bad", bound - count)
    assert count <= bound


@pytest.mark.lemma("Lemma 4")
def test_lemma4_count_is_tight_and_rejects_non_monotone():
    eps = 0.5
    L = [10.0 - 0.5000001 * i for i in range(20)] + [0.0]   # 19 drops just above ε, then one below
    count, bound = bd.lemma4_count(L, eps)
    assert count == 19 and bound == 20
    with pytest.raises(ValueError, match="nonincreasing"):
        bd.lemma4_count([1.0, 2.0], eps)


@pytest.mark.lemma("Lemma 4")
@settings(max_examples=50, deadline=None)
@given(st.integers(1, 50), st.integers(0, 20), st.integers(1, 30), st.integers(1, 30), st.integers(0, 10),
       st.integers(1, 6), st.integers(1, 4), st.integers(0, 8))
def test_boosting_bookkeeping_closed_forms_match_the_recursion(R0, H0, tau0, D, HD, tauD, k, t):
    c, c0, c_tau = 3, 5, 7
    R0, tau0 = R0 + H0, max(tau0, tauD)
    seq = bd.boosting_sequence(R0, H0, tau0, D=D, HD=HD, tauD=tauD, k=k, rounds=t, c=c, c0=c0, c_tau=c_tau)
    for i, s in enumerate(seq):
        cf = bd.boosting_closed_form(R0, H0, tau0, D=D, HD=HD, tauD=tauD, k=k, t=i, c=c, c0=c0, c_tau=c_tau)
        assert cf == s
    # hidden size linear, size quadratic (constant second difference), time geometric
    hs = [s["hidden"] for s in seq]
    assert len({b - a for a, b in zip(hs, hs[1:])}) <= 1
    rs = [s["size"] for s in seq]
    d2 = [rs[i + 2] - 2 * rs[i + 1] + rs[i] for i in range(len(rs) - 2)]
    assert all(v == 2 * (HD + c * k + c0) for v in d2)


@pytest.mark.lemma("Lemma 4")
def test_algorithm1_on_distributions_gains_each_round_and_stops_within_the_round_bound():
    rng = np.random.default_rng(4)
    b, N, k, eps = 2, 6, 2, 0.05
    p = td.random_distribution(b, N, rng, zero_fraction=0.9)
    q0 = td.LM.uniform(b, N, exact=False)
    ds = [adv.random_distinguisher(b, k, N, rng) for _ in range(4)]
    rows = bd.iterate_boosting(p, q0, ds, k=k, eps=eps, max_iter=200)
    assert rows[-1]["alpha"] < eps
    rounds = len(rows) - 1
    assert 1 <= rounds <= bd.max_rounds(N, b, k, eps)
    for a, b2 in zip(rows, rows[1:]):
        assert a["gain"] >= a["bound"] - TOL
        assert a["kl"] - b2["kl"] == pytest.approx(a["gain"], abs=1e-9)
    # the losses of the iterates are monotone, so Lemma 4's count applies to them
    count, bound = bd.lemma4_count([r["kl"] for r in rows], eps ** 2 * (N - k + 1) / (2 * k))
    assert count <= bound


# ---- the factors the bounds cannot lose (tests that kill the mutants of issue 10) -----------------

def _iid(theta: float, N: int) -> td.Distribution:
    """Bernoulli(θ)^N as a text distribution over {0, 1}^N."""
    docs = all_documents(2, N)
    ones = docs.sum(axis=1)
    return td.Distribution(theta ** ones * (1 - theta) ** (N - ones), 2, N)


@pytest.mark.lemma("Theorem 3")
def test_theorem3_needs_the_factor_k_for_overlapping_windows():
    """p = Bernoulli(1/2)^8, q = Bernoulli(0.52)^8, k = 4, d = "≥ 3 ones in the window":
    |α| = P_q(≥3 of 4) − P_p(≥3 of 4) = 0.0306 exceeds sqrt(KL/(2M)) = 0.0253 (the bound
    without k) but not sqrt(k·KL/(2M)) = 0.0506. KL and α computed here in closed form."""
    N, k = 8, 4
    M = N - k + 1
    p, q = _iid(0.5, N), _iid(0.52, N)
    d = adv.DistTable.from_callable(lambda j, x: int(sum(x[j - 1:j - 1 + k]) >= 3), 2, k, N)
    t = bd.theorem3(p, q.as_lm(), d, k=k)
    kl = N * (0.5 * np.log(0.5 / 0.52) + 0.5 * np.log(0.5 / 0.48))
    at_least_3 = lambda th: 4 * th ** 3 * (1 - th) + th ** 4  # noqa: E731
    alpha = at_least_3(0.52) - at_least_3(0.5)
    assert t.kl == pytest.approx(kl, rel=1e-12) and t.alpha == pytest.approx(alpha, rel=1e-9)
    assert abs(t.alpha) == pytest.approx(0.0306, abs=5e-5)
    assert t.bound == pytest.approx(np.sqrt(k * kl / (2 * M)), rel=1e-12)
    assert abs(t.alpha) <= t.bound                      # the project's bound holds …
    assert abs(t.alpha) > np.sqrt(kl / (2 * M))         # … and the k-less bound fails here
    assert np.sqrt(kl / (2 * M)) == pytest.approx(0.0253, abs=5e-5)


@pytest.mark.lemma("Lemma 4")
@pytest.mark.parametrize("N,b,k,eps", [(8, 2, 2, 0.1), (10, 2, 3, 0.02), (6, 3, 1, 0.5), (5, 2, 5, 0.3)])
def test_max_rounds_is_the_kl_budget_over_the_guaranteed_gain_per_round(N, b, k, eps):
    """From the uniform model KL(p‖q_0) ≤ N·log b, with equality for a point mass p, and
    each round with |α| ≥ ε gains ≥ ε²M/(2k): the bound is exactly their ratio."""
    M = N - k + 1
    point = np.zeros(b ** N)
    point[0] = 1.0
    budget = td.kl(td.Distribution(point, b, N), td.LM.uniform(b, N, exact=False))
    assert budget == pytest.approx(N * np.log(b), rel=1e-12)
    assert bd.max_rounds(N, b, k, eps) * (eps ** 2 * M / (2 * k)) == pytest.approx(budget, rel=1e-12)


@pytest.mark.lemma("Lemma 4")
def test_a_loss_drop_of_exactly_eps_is_not_a_bad_index():
    """Lemma 4 counts indices with L*_m − L*_{m+1} > ε (strict): a drop equal to ε is good."""
    L = [Fraction(1), Fraction(1, 2), Fraction(1, 4), Fraction(0)]
    assert bd.bad_indices(L, Fraction(1, 2)) == []
    assert bd.bad_indices(L, Fraction(1, 4)) == [0]
    assert bd.lemma4_count(L, Fraction(1, 4)) == (1, 4)
    assert bd.bad_indices(L, Fraction(1, 5)) == [0, 1, 2]
