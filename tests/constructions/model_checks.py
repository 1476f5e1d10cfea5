"""Helpers shared by the model tests: compare a network with an exact definition on every
document of Σ^N, compare claims with counts, and run the transplant test."""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np

import rnnsim
from rnnsim.hidden import transplant_test


def lm_mismatches(net, q, N: int, arithmetic="exact", tol=0):
    """(prefix, token, expected, got) for every m ≤ N where the output at time mτ differs
    from q(x_m | x_{<m}); every document of Σ^N, so every prefix of length ≤ N."""
    out = rnnsim.simulate_all(net, N, arithmetic, raw=(arithmetic == "exact"))
    docs = rnnsim.all_documents(net.alphabet, N)
    cache, bad = {}, []
    for r, doc in enumerate(docs):
        doc = tuple(int(t) for t in doc)
        for m in range(1, N + 1):
            pre = doc[:m - 1]
            if pre not in cache:
                cache[pre] = q(pre)
            exp = cache[pre][doc[m - 1]]
            got = out[r, m - 1]
            if (got != exp) if tol == 0 else abs(float(got) - float(exp)) > tol:
                bad.append((doc[:m], exp, got))
    return bad


def dist_mismatches(net, d, k: int, N: int, arithmetic="exact"):
    """(x_{≤m}, expected, got) for every m ∈ [k, N] where the output at time mτ differs from
    d(m−k+1, x_{≤m}), over every document of Σ^N."""
    out = rnnsim.simulate_all(net, N, arithmetic, raw=(arithmetic == "exact"))
    docs = rnnsim.all_documents(2, N)
    bad = []
    for r, doc in enumerate(docs):
        doc = tuple(int(t) for t in doc)
        for m in range(k, N + 1):
            exp = d(m - k + 1, doc[:m])
            if out[r, m - 1] != exp:
                bad.append((doc[:m], exp, out[r, m - 1]))
    return bad


def claim_vs_built(net) -> dict:
    m = net.claims
    return {
        "size": (m.size, net.size),
        "hidden_size": (m.hidden_size, net.hidden_size),
        "tau": (m.tau, net.tau),
        "depth": (m.depth, net.depth),
    }


def assert_claims(net):
    for what, (claimed, built) in claim_vs_built(net).items():
        assert claimed == built, f"{net.name}: claimed {what} {claimed}, built {built}"


def random_docs(b: int, N: int, n: int, seed: int = 0):
    rng = random.Random(seed)
    return [[rng.randrange(b) for _ in range(N)] for _ in range(n)]


def transplant_ok(net, N: int = 7, n_docs: int = 6, seed: int = 0, hidden=None):
    rep = transplant_test(net, random_docs(net.alphabet, N, n_docs, seed), hidden=hidden,
                          arithmetic="exact", seed=seed, garbage=2)
    return rep


def rationals01(draw, st, max_den: int = 12):
    """A random rational in [0, 1] (used inside @st.composite strategies)."""
    den = draw(st.integers(1, max_den))
    return Fraction(draw(st.integers(0, den)), den)


__all__ = ["lm_mismatches", "dist_mismatches", "claim_vs_built", "assert_claims", "random_docs",
           "transplant_ok", "rationals01", "np"]
