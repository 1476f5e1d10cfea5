"""Lemma 1 (boosted text distribution, KL gain bounds) and Lemma 2 (boosted next-token
conditional) on random instances (THEORY §3)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from proofs_checks import advantage as adv
from proofs_checks import boost as pboost
from proofs_checks import textdist as td
from tests.proofs_checks.strategies import informative, instances, record

weights = st.fractions(min_value=Fraction(1, 20), max_value=Fraction(19, 20), max_denominator=20)
TOL = 1e-12


@pytest.mark.lemma("Lemma 1")
@settings(max_examples=30, deadline=None)
@given(instances(exact=True, max_docs=256), st.data(), weights)
def test_lemma1_boosted_distribution_is_normalized_exactly(inst, data, w):
    r = data.draw(st.integers(1, inst.k))
    qp = pboost.boosted_text(inst.q, inst.d, k=inst.k, r=r, factor=w)
    assert qp.exact and sum(qp.probs) == 1 and all(v >= 0 for v in qp.probs)


@pytest.mark.lemma("Lemma 1")
@settings(max_examples=40, deadline=None)
@given(instances(exact=True, max_docs=256), st.data(),
       st.floats(min_value=0.01, max_value=3.0, allow_nan=False))
def test_lemma1_kl_gain_is_at_least_both_lower_bounds(inst, data, eta):
    r = data.draw(st.integers(1, inst.k))
    rep = pboost.lemma1(inst.p, inst.q, inst.d, k=inst.k, r=r, eta=eta)
    # the direct gain E_p log(q'/q) is the difference of the two KLs
    assert rep.gain == pytest.approx(rep.kl_before - rep.kl_after, abs=1e-9)
    if informative(inst) and rep.n_r > 0:
        record("Lemma 1 gain − [η S_r − (η−1+e^−η) n_r]", rep.gain - rep.bound_exp)
        record("Lemma 1 gain − [η S_r − η² n_r/2]", rep.gain - rep.bound_quad)
    assert rep.gain >= rep.bound_tight - TOL
    assert rep.bound_tight >= rep.bound_exp - TOL
    assert rep.bound_exp >= rep.bound_quad - TOL
    assert rep.total == pytest.approx(1.0, abs=1e-12)


@pytest.mark.lemma("Lemma 1")
@settings(max_examples=40, deadline=None)
@given(instances(exact=True, max_docs=256))
def test_lemma1_alpha_choice_gains_alpha_squared_M_over_2k_and_paper_bound(inst):
    rep = pboost.lemma1_alpha(inst.p, inst.q, inst.d, k=inst.k)
    a = rep.alpha
    assert a >= 0
    if informative(inst) and rep.report:
        record("Lemma 1 gain − α²M/(2k)", rep.gain - rep.bound_M)
        record("Lemma 1 gain − α²N/(4k) (paper)", rep.gain - rep.bound_paper)
        record("Lemma 1 gain − α²M/(2 min(k,M)) (refined)", rep.gain - rep.bound_refined)
    assert rep.gain >= rep.bound_refined - TOL
    assert rep.bound_refined >= rep.bound_M - 1e-15 and rep.bound_refined >= rep.bound_paper - 1e-15
    if rep.report:
        # the chosen offset maximizes α S_r − α² n_r / 2 and its value is ≥ α²M/(2k)
        ad = adv.advantage(inst.p, inst.q, inst.d.complement() if rep.flipped else inst.d, k=inst.k)
        vals = {r: a * float(ad.S[r]) - a * a * ad.n[r] / 2 for r in ad.S}
        assert vals[rep.r_star] == pytest.approx(max(vals.values()), abs=1e-15)
        assert sum(vals.values()) == pytest.approx(a * a * ad.M / 2, rel=1e-9, abs=1e-15)
        assert rep.report.bound_quad >= rep.bound_M - TOL


@pytest.mark.lemma("Lemma 2")
@settings(max_examples=30, deadline=None)
@given(instances(exact=True, max_docs=81), st.data(), weights)
def test_lemma2_conditional_equals_lemma1_conditional_exactly(inst, data, w):
    """Both ways: the text distribution of the Lemma 2 conditionals is Lemma 1's q', and the
    conditionals of Lemma 1's q' (from its marginals) are Lemma 2's, on every prefix."""
    r = data.draw(st.integers(1, inst.k))
    b, N, k = inst.b, inst.N, inst.k
    ql = pboost.boosted_conditional(inst.q, inst.d, k=k, r=r, factor=w, N=N)
    q1 = pboost.boosted_text(inst.q, inst.d, k=k, r=r, factor=w)
    T = ql.table()
    assert T.exact and list(T.text()) == list(q1.probs)
    for m in range(N):
        for P in range(b ** m):
            prefix = tuple((P // b ** (m - 1 - i)) % b for i in range(m))
            assert q1.conditional(prefix) == ql(prefix)
            i = m + 1
            if pboost.anchor(i, k=k, r=r, N=N) is None:  # i < r or after the last block
                assert ql(prefix) == inst.q(prefix)
    record("Lemma 2 = conditional of Lemma 1 (exact)", 0)


@pytest.mark.lemma("Lemma 2")
def test_lemma2_four_functions_have_the_stated_meaning():
    rng = np.random.default_rng(11)
    b, N, k, r = 2, 7, 3, 2
    q = td.random_lm(b, N, rng, exact=True, floor=Fraction(1, 10))
    d = adv.random_distinguisher(b, k, N, rng)
    w = Fraction(2, 5)
    ql = pboost.boosted_conditional(q, d, k=k, r=r, factor=w, N=N)
    prefix = (1, 0, 1, 1)                     # i = 5, block j = 5 (I_2 = {2, 5}), ℓ = 0
    j, ell, rows = ql.four_functions(prefix)
    assert (j, ell) == (5, 0) and len(rows) == b ** k
    assert sum(u for _, u, _, _, _ in rows) == 1
    for s, u, v, one_num, one_den in rows:
        assert u == q(prefix)[s[0]] * q(prefix + s[:1])[s[1]] * q(prefix + s[:2])[s[2]]
        assert v == (w if d(j, prefix + s) else 1)
        assert one_den == 1 and one_num == tuple(int(s[0] == sg) for sg in range(b))
    prefix = (1, 0, 1, 1, 0, 1)               # i = 7, j = 5, ℓ = 2: seen x_5 x_6 = 0 1
    j, ell, rows = ql.four_functions(prefix)
    assert (j, ell) == (5, 2)
    assert [s for s, *_ , den in rows if den] == [(0, 1, 0), (0, 1, 1)]
    assert ql(()) == q(())                    # i = 1 < r = 2: unchanged
    assert ql((0,)) != q((0,))                # i = 2 = r starts the block j = 2
    assert pboost.anchor(2, k=3, r=2, N=7) == 2 and pboost.anchor(8, k=3, r=2, N=8) is None


@pytest.mark.lemma("Lemma 2")
def test_lemma2_float_eta_matches_exact_weight():
    rng = np.random.default_rng(2)
    b, N, k, r, eta = 3, 4, 2, 1, 0.7
    q = td.random_lm(b, N, rng, exact=True, floor=Fraction(1, 30))
    d = adv.random_distinguisher(b, k, N, rng)
    wf = Fraction(math.exp(-eta))                      # the exact binary rational of the float
    ex = pboost.boosted_conditional(q, d, k=k, r=r, factor=wf, N=N).table()
    fl = pboost.boosted_conditional(q, d, k=k, r=r, eta=eta, N=N).table()
    assert np.allclose(fl.text(), np.array([float(v) for v in ex.text()]), rtol=1e-13, atol=0)


def test_boost_parameters_are_validated():
    q = td.LM.uniform(2, 3)
    d = adv.random_distinguisher(2, 2, 3, np.random.default_rng(0))
    with pytest.raises(TypeError, match="exactly one"):
        pboost.boosted_conditional(q, d, k=2, r=1, N=3)
    with pytest.raises(TypeError, match="exactly one"):
        pboost.boosted_text(q, d, k=2, r=1, eta=1.0, factor=Fraction(1, 2))
    with pytest.raises(ValueError, match="offset r"):
        pboost.boosted_conditional(q, d, k=2, r=3, eta=1.0, N=3)
    with pytest.raises(ValueError, match="positive"):
        pboost.boosted_text(q, d, k=2, r=1, factor=0)
    # a zero-probability block prefix makes Σ u·v·1_den = 0: a clear error, not a silent value
    z = td.LM.from_weights([[1, 0], [[1, 1], [1, 1]], [[1, 1]] * 4], 2)
    with pytest.raises(ZeroDivisionError, match="probability 0"):
        pboost.boosted_conditional(z, d, k=2, r=1, eta=1.0, N=3)((1,))


def test_boosted_conditional_accepts_plain_callables():
    """THEORY §6: q is any callable prefix → probabilities, d any callable (j, x) → 0/1."""
    q = lambda prefix: (Fraction(1, 3), Fraction(2, 3))  # noqa: E731
    d = lambda j, x: int(x[j - 1] == x[j])  # noqa: E731
    ql = pboost.boosted_conditional(q, d, k=2, r=1, factor=Fraction(1, 2), N=4)
    # position 2 in block j=1 after x_1 = 0: weights 1/3·(1/3·1/2, 2/3·1) → σ=0: 1/6 / (1/6+2/3)
    assert ql((0,)) == (Fraction(1, 5), Fraction(4, 5))
    tbl = ql.table()
    assert sum(tbl.text()) == 1
    q1 = pboost.boosted_text(q, d, k=2, r=1, factor=Fraction(1, 2), N=4, b=2)
    assert list(q1.probs) == list(tbl.text())


@pytest.mark.lemma("Lemma 1")
def test_paper_bound_follows_from_the_refined_bound_for_every_k_le_N():
    """α²N/(4k) ≤ α²M/(2·min(k, M)) ⇔ N·min(k, M) ≤ 2kM, for all 1 ≤ k ≤ N ≤ 300: the
    paper's form is implied by the project form (max over the min(k, M) non-empty classes)."""
    for N in range(1, 301):
        for k in range(1, N + 1):
            M = N - k + 1
            assert N * min(k, M) <= 2 * k * M, (N, k)


@pytest.mark.lemma("Lemma 1")
@settings(max_examples=25, deadline=None)
@given(instances(exact=True, max_docs=243, floor=0), st.data(),
       st.floats(min_value=0.01, max_value=3.0, allow_nan=False))
def test_lemma1_bounds_hold_when_q_has_zeros_but_covers_the_data(inst, data, eta):
    """q with zero conditionals; p = q's own text distribution reweighted (support ⊆ q's)."""
    qt = inst.q.text()
    w = np.array([v * w for v, w in zip(qt, inst.p.probs)], dtype=object)
    assume(sum(w) > 0)
    p = td.Distribution(w / sum(w), inst.b, inst.N)
    r = data.draw(st.integers(1, inst.k))
    rep = pboost.lemma1(p, inst.q, inst.d, k=inst.k, r=r, eta=eta)
    assert math.isfinite(rep.kl_before) and rep.total == pytest.approx(1.0, abs=1e-12)
    assert rep.gain == pytest.approx(rep.kl_before - rep.kl_after, abs=1e-9)
    assert rep.gain >= rep.bound_tight - TOL and rep.bound_exp >= rep.bound_quad - TOL
    assert rep.bound_tight >= rep.bound_exp - TOL


def _advantage(A, k):
    """An Advantage with the given per-window A_j (S_r, n_r, α from their definitions)."""
    M = len(A)
    I = adv.offsets(k, M)
    return adv.Advantage(k, M, list(A), [0] * M, [0] * M, sum(A) / M, I, {r: len(I[r]) for r in I},
                         {r: sum(A[j - 1] for j in I[r]) for r in I})


@pytest.mark.lemma("Lemma 1")
def test_best_offset_certifies_alpha_squared_M_over_2k_where_argmax_S_does_not():
    """A = [0.1, 0.19, 0.1], k = 2: S_1 = 0.2 > S_2 = 0.19, but n_1 = 2 > n_2 = 1, so
    α S_r − α² n_r/2 is 0.0091 at r = 1 (below α²M/(2k) = 0.0127) and 0.0163 at r = 2."""
    a = _advantage([0.1, 0.19, 0.1], 2)
    alpha = a.alpha
    score = {r: alpha * a.S[r] - alpha ** 2 * a.n[r] / 2 for r in a.S}
    assert score[1] == pytest.approx(0.0091, abs=1e-6) and score[1] < alpha ** 2 * a.M / 4
    r = pboost.best_offset(a)
    assert r == 2
    assert score[r] >= alpha ** 2 * a.M / (2 * a.k)


@pytest.mark.lemma("Lemma 1")
@settings(max_examples=200, deadline=None)
@given(st.lists(st.fractions(min_value=-1, max_value=1, max_denominator=50), min_size=1, max_size=12),
       st.integers(1, 5))
def test_best_offset_always_certifies_the_average_over_offsets(A, k):
    """Σ_r (α S_r − α² n_r/2) = α²M/2, so the best r certifies ≥ α²M/(2k) — exactly."""
    k = min(k, len(A))
    a = _advantage(A, k)
    alpha = a.alpha
    r = pboost.best_offset(a)
    best = alpha * a.S[r] - alpha ** 2 * a.n[r] / 2
    assert best == max(alpha * a.S[s] - alpha ** 2 * a.n[s] / 2 for s in a.S)
    assert best >= alpha ** 2 * a.M / (2 * k)
