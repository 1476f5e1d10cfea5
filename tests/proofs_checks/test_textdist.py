"""Text distributions, next-token loss and KL (THEORY §3; Lemmas 5 and 6) on random instances."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings

import rnnsim
from proofs_checks import textdist as td
from tests.proofs_checks.strategies import instances, record


@pytest.mark.lemma("Lemma 5")
@settings(max_examples=25, deadline=None)
@given(instances(exact=True, max_docs=81))
def test_lemma5_exponentiated_identity_holds_exactly(inst):
    left, right = td.lemma5_exact(inst.p, inst.q)
    record("Lemma 5 exact (exp form)", 0 if left == right else -1)
    assert left == right


@pytest.mark.lemma("Lemma 5")
@settings(max_examples=25, deadline=None)
@given(instances(exact=False, max_docs=729))
def test_lemma5_n_times_loss_equals_neg_log_likelihood_float(inst):
    err = td.check_lemma5(inst.p, inst.q)
    nl = inst.N * td.next_token_loss(inst.p, inst.q)
    record("Lemma 5 float64 (−|error|)", -err)
    assert err <= 1e-12 * (1 + abs(nl))


@pytest.mark.lemma("Lemma 6")
@settings(max_examples=25, deadline=None)
@given(instances(exact=True, max_docs=81))
def test_lemma6_exponentiated_identity_holds_exactly(inst):
    left, right = td.lemma6_exact(inst.p, inst.q)
    record("Lemma 6 exact (exp form)", 0 if left == right else -1)
    assert left == right


@pytest.mark.lemma("Lemma 6")
@settings(max_examples=25, deadline=None)
@given(instances(exact=False, max_docs=729))
def test_lemma6_n_times_loss_equals_entropy_plus_kl_float(inst):
    err = td.check_lemma6(inst.p, inst.q)
    nl = inst.N * td.next_token_loss(inst.p, inst.q)
    record("Lemma 6 float64 (−|error|)", -err)
    assert err <= 1e-12 * (1 + abs(nl))


@pytest.mark.lemma("Lemma 5", "Lemma 6")
def test_exact_lemma_checks_detect_a_wrong_side():
    """The exponentiated identities are not vacuous: pairing the loss of one LM with the
    document probabilities of another breaks them."""
    rng = np.random.default_rng(3)
    p = td.random_distribution(2, 3, rng, exact=True)
    q1 = td.random_lm(2, 3, rng, exact=True, floor=Fraction(1, 10))
    q2 = td.random_lm(2, 3, rng, exact=True, floor=Fraction(1, 10))
    l1, _ = td.lemma5_exact(p, q1)
    _, r2 = td.lemma5_exact(p, q2)
    assert l1 != r2
    e1, _ = td.lemma6_exact(p, q1)
    _, h2 = td.lemma6_exact(p, q2)
    assert e1 != h2


@settings(max_examples=20, deadline=None)
@given(instances(exact=True, max_docs=243))
def test_text_distribution_is_normalized_exactly_and_round_trips_through_conditionals(inst):
    qt = inst.q.text()
    assert sum(qt) == 1 and all(v >= 0 for v in qt)
    # p → its conditionals → its text distribution gives p back exactly (zeros included)
    back = inst.p.as_lm().text()
    assert list(back) == list(inst.p.probs)
    # the LM's text distribution equals the product of its conditionals, document by document
    for row, x in enumerate(rnnsim.all_documents(inst.b, inst.N)[:: max(1, inst.b ** inst.N // 7)]):
        prod = Fraction(1)
        for i in range(inst.N):
            prod *= inst.q(tuple(x[:i]))[x[i]]
        assert prod == qt[td.prefix_index(x, inst.b)]


def test_kl_is_zero_iff_equal_and_positive_otherwise():
    rng = np.random.default_rng(0)
    q = td.random_lm(3, 3, rng, exact=True, floor=Fraction(1, 30))
    p = q.distribution()
    assert td.kl(p, q) == pytest.approx(0.0, abs=1e-15)
    q2 = td.random_lm(3, 3, rng, exact=True, floor=Fraction(1, 30))
    assert td.kl(p, q2) > 1e-3
    # infinite when q misses support of p
    zero = td.LM.from_weights([[1, 0], [[1, 0], [1, 1]]], 2)
    full = td.Distribution(np.full(4, 0.25), 2, 2)
    assert td.kl(full, zero) == float("inf") and td.next_token_loss(full, zero) == float("inf")


def test_sampling_frequencies_match_the_distribution():
    rng = np.random.default_rng(7)
    q = td.random_lm(2, 4, rng)
    n = 200_000
    for docs in (q.sample(n, np.random.default_rng(1)), q.distribution().sample(n, np.random.default_rng(2))):
        idx = docs @ (2 ** np.arange(3, -1, -1))
        freq = np.bincount(idx, minlength=16) / n
        # 5 standard deviations per cell
        sd = np.sqrt(q.text() * (1 - q.text()) / n)
        assert np.all(np.abs(freq - q.text()) <= 5 * sd + 1e-12)


def test_bad_prefixes_and_bad_tables_raise_clear_errors():
    q = td.LM.uniform(2, 3)
    with pytest.raises(ValueError, match="outside Σ"):
        q((0, 2))
    with pytest.raises(ValueError, match="longer than"):
        q((0, 1, 0))
    with pytest.raises(td.NotALanguageModel, match=r"prefix \(1,\).*sum to"):
        td.LM([np.array([[Fraction(1, 2), Fraction(1, 2)]], dtype=object),
               np.array([[Fraction(1, 2), Fraction(1, 2)], [Fraction(1, 2), Fraction(1, 3)]], dtype=object)], 2)
    with pytest.raises(td.NotALanguageModel, match="sum to"):
        td.Distribution(np.array([0.5, 0.6]), 2, 1)


# --------------------------------------------------------------- lm_from_rnn

def _markov1_rnn(a: Fraction, c: Fraction):
    """Binary order-1 Markov LM: P(x_m = 1 | x_{m−1}) = a if x_{m−1} = 0 (or m = 1) else c."""
    bld = rnnsim.Builder("markov1", tau=1, alphabet=2)
    x = bld.input("x")
    prev = bld.node("prev", init=0)
    o = bld.node("o", init=0)
    p1 = a + (c - a) * prev
    bld.update(prev, x)
    bld.update(o, rnnsim.prod(x, p1) + rnnsim.prod(1 - x, 1 - p1))
    bld.output(o)
    bld.hidden(prev)
    return bld.build()


def _markov1_table(a, c, N):
    def q(prefix):
        p1 = a if not prefix or prefix[-1] == 0 else c
        return (1 - p1, p1)
    return td.LM.from_callable(q, 2, N)


def test_lm_from_rnn_recovers_markov_conditionals_exactly():
    a, c = Fraction(1, 3), Fraction(4, 5)
    rnn = _markov1_rnn(a, c)
    got = td.lm_from_rnn(rnn, 6)
    want = _markov1_table(a, c, 6)
    assert got.exact
    for m in range(6):
        assert list(got.levels[m].reshape(-1)) == list(want.levels[m].reshape(-1))
    f = td.lm_from_rnn(rnn, 6, arithmetic="float64")
    assert np.allclose(f.text(), np.array([float(v) for v in want.text()]), rtol=1e-12, atol=0)


def test_lm_from_rnn_rejects_an_output_that_is_not_a_distribution():
    bld = rnnsim.Builder("notlm", tau=1, alphabet=2)
    bld.input("x")
    o = bld.node("o", init=0)
    bld.update(o, rnnsim.Const(Fraction(7, 10)))
    bld.output(o)
    rnn = bld.build()
    with pytest.raises(td.NotALanguageModel, match=r"prefix \(\).*sum to 7/5"):
        td.lm_from_rnn(rnn, 3)


@pytest.mark.parametrize("b,N,exact", [(2, 4, True), (3, 3, True), (2, 5, False)])
def test_lm_outputs_matrix_is_the_conditional_of_each_documents_token_and_round_trips(b, N, exact):
    """LM ⇄ the all-documents matrix of an LM RNN (THEORY §2.6): entry (x, m) is q(x_m | x_<m)
    read through the LM's callable form, and from_outputs recovers the same table."""
    q = td.random_lm(b, N, np.random.default_rng(b * 10 + N), exact=exact)
    out = q.outputs()
    assert out.shape == (b ** N, N)
    for d, x in enumerate(rnnsim.all_documents(b, N)):
        for m in range(1, N + 1):
            assert out[d, m - 1] == q(tuple(x[: m - 1]))[x[m - 1]]
    back = td.LM.from_outputs(out, b)
    assert back.exact == exact
    assert all((a == c).all() for a, c in zip(back.levels, q.levels))
    with pytest.raises(td.NotALanguageModel):
        td.LM.from_outputs(out * 2, b)
