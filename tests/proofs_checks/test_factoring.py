"""Appendix B: the factorization distribution and its verifier."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs_checks import factoring as fx
from tests.proofs_checks.strategies import record


@pytest.mark.lemma("Appendix B")
def test_primality_agrees_with_a_sieve():
    primes = set(fx.n_digit_primes(1) + fx.n_digit_primes(2) + fx.n_digit_primes(3) + fx.n_digit_primes(4))
    assert [n for n in range(10_000) if fx.is_prime(n)] == sorted(primes)
    assert fx.is_prime(2 ** 61 - 1) and not fx.is_prime(3 * (2 ** 61 - 1))
    assert not fx.is_prime(3_215_031_751)      # strong pseudoprime to bases 2, 3, 5, 7


@pytest.mark.lemma("Appendix B")
@pytest.mark.parametrize("n", [1, 2])
def test_support_is_a_distribution_of_valid_documents(n):
    dist = fx.FactorizationDistribution(n)
    sup = dist.support()
    assert sum(sup.values()) == 1
    assert all(fx.verify(doc, n) == 1 and len(doc) == dist.N for doc in sup)
    assert all(dist.probability(doc) == pr for doc, pr in sup.items())
    if n == 1:
        assert fx.decode(dist.document(7, 3)) == "21=3x7" + " " * (dist.N - 6)


@pytest.mark.lemma("Appendix B")
def test_verifier_accepts_exactly_the_support_among_well_formed_strings():
    """n = 1: every string 'P=pxq' with P ∈ 1..99, p, q ∈ 1..9 (8019 candidates)."""
    dist = fx.FactorizationDistribution(1)
    sup = dist.support()
    for P in range(1, 100):
        for p in range(1, 10):
            for q in range(1, 10):
                doc = fx.encode(f"{P}={p}x{q}".ljust(dist.N))
                assert fx.verify(doc, 1) == int(doc in sup), doc


@pytest.mark.lemma("Appendix B")
@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2 ** 32 - 1), st.integers(1, 3))
def test_verifier_rejects_every_one_token_corruption(seed, n):
    rng = np.random.default_rng(seed)
    dist = fx.FactorizationDistribution(n)
    doc = list(dist.sample(1, rng)[0])
    assert fx.verify(doc, n) == 1
    i = int(rng.integers(dist.N))
    t = int(rng.integers(dist.b - 1))
    doc[i] = t if t < doc[i] else t + 1
    text = fx.decode(doc).rstrip(" ")
    # the only corruptions that can stay valid swap in another factorization of the same form
    if fx.verify(doc, n):
        P, rest = text.split("=")
        p, q = rest.split("x")
        assert int(p) * int(q) == int(P) and fx.is_prime(int(p)) and fx.is_prime(int(q))
    record("Appendix B verifier on corrupted documents", 0)


@pytest.mark.lemma("Appendix B")
def test_sampler_frequencies_match_exact_probabilities():
    dist = fx.FactorizationDistribution(1)
    sup = dist.support()
    n = 20_000
    docs = dist.sample(n, np.random.default_rng(0))
    counts: dict = {}
    for d in map(tuple, docs):
        counts[d] = counts.get(d, 0) + 1
    assert set(counts) <= set(sup)
    for doc, pr in sup.items():
        pf = float(pr)
        assert abs(counts.get(doc, 0) / n - pf) <= 5 * (pf * (1 - pf) / n) ** 0.5


@pytest.mark.lemma("Appendix B")
def test_verifier_advantage_is_zero_for_the_data_and_near_minus_one_for_a_guesser():
    dist = fx.FactorizationDistribution(1)
    # the autoregressive conditionals reproduce the distribution exactly
    for doc, pr in dist.support().items():
        prod = Fraction(1)
        for i in range(dist.N):
            prod *= dist.conditional(doc[:i])[doc[i]]
        assert prod == pr
    assert fx.advantage_against(dist, dist.conditional) == 0
    g = dist.guessing_model()
    assert sum(g.support.values()) == 1
    a = fx.advantage_against(dist, g)
    # P determines the sorted pair, so a fresh guess is right with probability Σ_pairs pr²
    want = sum(pr * pr for pr in dist.support().values()) - 1
    assert a == want and a < Fraction(-3, 4)
    d = dist.verifier()
    assert d(1, next(iter(dist.support()))) == 1
    with pytest.raises(ValueError, match="j = 1"):
        d(2, next(iter(dist.support())))
