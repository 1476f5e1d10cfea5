"""Random instances (p, q, d) for the property checks of THEORY §3 (used by tests and the runner).

An instance is a data distribution p on Σ^N, a language model q and a next-k-token
distinguisher d, drawn from a seeded numpy Generator so that every failure is reproducible
from ``(b, N, k, seed, exact, floor)``. Exact instances use small integer weights (p has a
small common denominator, q's conditionals are Fractions); q can be given a probability
floor μ so that every document has positive probability (KL finite, Lemma 15, 16).

``random_instance(rng=None, *, seed=None, b=None, N=None, k=None, exact=True, floor=None,
zero_fraction=0.0, prefix_dependent=True, max_docs=None) -> Instance`` (b ∈ {2,3}, N ≤ 8,
k ≤ min(4, N) unless given; ``max_docs`` caps b^N).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .advantage import DistTable, random_distinguisher
from .textdist import LM, Distribution, random_distribution, random_lm

__all__ = ["Instance", "random_instance"]


@dataclass
class Instance:
    b: int
    N: int
    k: int
    p: Distribution
    q: LM
    d: DistTable
    seed: int | None = None

    def __repr__(self) -> str:
        return f"Instance(b={self.b}, N={self.N}, k={self.k}, seed={self.seed}, exact={self.q.exact})"


def random_instance(rng: np.random.Generator | None = None, *, seed: int | None = None, b: int | None = None,
                    N: int | None = None, k: int | None = None, exact: bool = True, floor=None,
                    zero_fraction: float = 0.0, prefix_dependent: bool = True,
                    max_docs: int | None = None, density: float | None = None) -> Instance:
    if rng is None:
        rng = np.random.default_rng(seed)
    if b is None:
        b = int(rng.integers(2, 4))
    if N is None:
        top = 8
        while max_docs is not None and b ** top > max_docs and top > 1:
            top -= 1
        N = int(rng.integers(1, top + 1))
    if k is None:
        k = int(rng.integers(1, min(4, N) + 1))
    if floor is None:
        floor = Fraction(int(rng.integers(1, 5)), 20 * b) if exact else float(rng.uniform(0.01, 0.2)) / b
    q = random_lm(b, N, rng, exact=exact, floor=floor)
    p = random_distribution(b, N, rng, exact=exact, zero_fraction=zero_fraction)
    d = random_distinguisher(b, k, N, rng, density=float(rng.uniform(0.1, 0.9)) if density is None else density,
                             prefix_dependent=prefix_dependent)
    return Instance(b, N, k, p, q, d, seed)
